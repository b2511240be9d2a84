import type { InvestigateChart } from '@ftpscope/shared';
import { toChangeView } from '../views/rules.ts';
import type { History } from './history.ts';
import { sessionOutcome } from './outcomes.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The timeline chart of a history: a lane per host (those of the sessions, or the one asked for), each session
 * a mark coloured by its outcome, ruleset changes in the window with their diff, diagnosis spans, and packets
 * dropped per minute over the lanes' hosts.
 */
export function chartOf(h: History): InvestigateChart {
  const lanes = [
    ...new Set([...(h.subject.host ? [h.subject.host] : []), ...h.sessions.map((s) => s.host)]),
  ].sort();
  const perMinute = new Map<number, { packets: number; first: number | null; last: number | null }>();
  for (const d of h.dropMinutes) {
    const m = perMinute.get(d.at);
    if (!m) perMinute.set(d.at, { packets: d.packets, first: d.first, last: d.last });
    else {
      m.packets += d.packets;
      // a minute whose times are known only on some hosts spans the whole minute
      m.first = m.first === null || d.first === null ? null : Math.min(m.first, d.first);
      m.last = m.last === null || d.last === null ? null : Math.max(m.last, d.last);
    }
  }
  return {
    lanes,
    sessions: h.sessions.map((s) => ({
      id: s.id,
      host: s.host,
      at: iso(s.startedAt),
      outcome: sessionOutcome(s),
    })),
    changes: h.changes.filter((c) => c.at >= h.from && c.at <= h.to).map(toChangeView),
    diagnoses: h.diagnoses.map((d) => ({
      id: d.id,
      host: d.host,
      kind: d.kind,
      title: d.title,
      severity: d.severity,
      from: iso(d.firstSeen),
      to: d.resolvedAt === null ? null : iso(d.resolvedAt),
    })),
    drops: [...perMinute]
      .sort((a, b) => a[0] - b[0])
      .map(([at, m]) => ({
        at: iso(at),
        packets: m.packets,
        first: m.first === null ? null : iso(m.first),
        last: m.last === null ? null : iso(m.last),
      })),
  };
}
