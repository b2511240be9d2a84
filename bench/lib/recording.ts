import { readFileSync } from 'node:fs';
import type { CollectorEvent } from '@ftpscope/shared';

/** Events a real collector emitted on a lab host under FTP load (see fixtures/record-session.ts). */
export function loadRecording(): CollectorEvent[] {
  const text = readFileSync(new URL('../fixtures/lab-session.jsonl', import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as CollectorEvent);
}

/** The recording's steady-state events (sessions, expectations, data, counters, health), ids made unique per round. */
export function replayRound(events: CollectorEvent[], round: number): CollectorEvent[] {
  const sfx = (id: string) => `${id}-${round}`;
  const out: CollectorEvent[] = [];
  for (const e of events) {
    if (e.kind === 'session') out.push({ ...e, session: { ...e.session, id: sfx(e.session.id) } });
    else if (e.kind === 'expectation')
      out.push({
        ...e,
        expectation: {
          ...e.expectation,
          id: sfx(e.expectation.id),
          sessionId: e.expectation.sessionId && sfx(e.expectation.sessionId),
        },
      });
    else if (e.kind === 'data')
      out.push({
        ...e,
        data: {
          ...e.data,
          id: sfx(e.data.id),
          sessionId: e.data.sessionId && sfx(e.data.sessionId),
          expectationId: e.data.expectationId && sfx(e.data.expectationId),
        },
      });
    else if (e.kind === 'counters' || e.kind === 'health') out.push(e);
  }
  return out;
}

/** The recording's set-up events (settings, ruleset): what a collector sends first. */
export function setupEvents(events: CollectorEvent[]): CollectorEvent[] {
  return events.filter((e) => e.kind === 'settings' || e.kind === 'ruleset');
}
