/**
 * Replays a collector's events as recorded on a lab host (apps/web/test/fixtures/events/*.jsonl, made by
 * test/fixtures/events/record.ts) through the hub's own window buffer, as the diagnoses engine sees them.
 */
import { readFileSync } from 'node:fs';
import type { CollectorEvent } from '@ftpscope/shared';
import { HostWindowBuffer } from '../host-window-buffer.ts';
import type { HostWindow } from '../types.ts';

interface Recorded {
  /** Milliseconds after the recording started that the event was emitted. */
  t: number;
  event: CollectorEvent;
}

/** The recording's events in emission order. */
export function loadRecorded(name: string): Recorded[] {
  const url = new URL(`../../../../test/fixtures/events/${name}.jsonl`, import.meta.url);
  return readFileSync(url, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Recorded);
}

/**
 * The window after each event, evaluated at that moment (collector clock), plus one every `stepMs` up to
 * `tailMs` after the last event: what the engine, evaluating every second, could have seen.
 */
export function* replayWindows(
  recorded: Recorded[],
  opts: { stepMs?: number; tailMs?: number } = {},
): Generator<{ now: number; window: HostWindow }> {
  const first = recorded.find((r) => 'at' in r.event);
  const base = first ? (first.event as { at: number }).at - first.t : 0;
  const buffer = new HostWindowBuffer('ftp1');
  const step = opts.stepMs ?? 250;
  const end = (recorded.at(-1)?.t ?? 0) + (opts.tailMs ?? 30_000);
  let i = 0;
  for (let t = 0; t <= end; t += step) {
    while (i < recorded.length && (recorded[i] as Recorded).t <= t)
      buffer.apply((recorded[i++] as Recorded).event);
    yield { now: base + t, window: buffer.snapshot(base + t) };
  }
}
