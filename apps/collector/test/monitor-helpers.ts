import type { CollectorEvent } from '@ftpscope/shared';
import { realExec, type SpawnLines } from '../src/exec.ts';
import { createHostMonitor } from '../src/host-monitor.ts';
import type { HostInfo, HostMonitor } from '../src/host-monitor.types.ts';

/** A real monitor on a lab host's namespace that records every event it emits. */
export interface Recorder {
  monitor: HostMonitor;
  info: HostInfo;
  events: CollectorEvent[];
  /** Resolves with the first recorded event (from `from` on) matching, or rejects after timeoutMs. */
  waitFor<K extends CollectorEvent['kind']>(
    kind: K,
    pred: (e: Extract<CollectorEvent, { kind: K }>) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<Extract<CollectorEvent, { kind: K }>>;
}

export async function startMonitor(opts: {
  name: string;
  netns: string;
  vsftpdConf?: string;
  ftpLog?: string;
  nflogGroups?: number[];
  intervalMs?: number;
  spawn?: SpawnLines;
}): Promise<Recorder> {
  const events: CollectorEvent[] = [];
  const monitor = createHostMonitor({
    name: opts.name,
    netns: opts.netns,
    intervalMs: opts.intervalMs ?? 500,
    ftpPorts: [21],
    nflogGroups: opts.nflogGroups ?? [],
    vsftpdConf: opts.vsftpdConf ?? null,
    ftpLog: opts.ftpLog ?? null,
    eventBufferBytes: 4 * 1024 * 1024,
    exec: realExec,
    ...(opts.spawn && { spawn: opts.spawn }),
    now: Date.now,
  });
  const info = await monitor.start((e) => events.push(e));
  return {
    monitor,
    info,
    events,
    async waitFor(kind, pred, timeoutMs = 10_000, from = 0) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (let i = from; i < events.length; i++) {
          const e = events[i] as CollectorEvent;
          if (e.kind === kind && pred(e as never)) return e as never;
        }
        if (Date.now() > deadline) throw new Error(`no ${kind} event matched within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** Latest state of each entity by id, from full-state events. */
export function latest<K extends 'session' | 'expectation' | 'data'>(events: CollectorEvent[], kind: K) {
  const out = new Map<string, Extract<CollectorEvent, { kind: K }>>();
  for (const e of events) {
    if (e.kind !== kind) continue;
    const id =
      e.kind === 'session'
        ? e.session.id
        : e.kind === 'expectation'
          ? e.expectation.id
          : e.kind === 'data'
            ? e.data.id
            : '';
    out.set(id, e as Extract<CollectorEvent, { kind: K }>);
  }
  return [...out.values()];
}
