import type { DropView, SessionView } from '@ftpscope/shared';
import { formatBytes } from './format.ts';

/** One bar (or tick, when `end` is null and `tick` is set) of the session timeline. */
export interface Lane {
  key: string;
  kind: 'control' | 'expectation' | 'data' | 'drop';
  label: string;
  start: number;
  end: number;
  problem: boolean;
  tick: boolean;
}

/** The lanes of one session: control connection, expectations, data connections, then drops. */
export function sessionLanes(s: SessionView, drops: readonly DropView[], now: number): Lane[] {
  const t = (iso: string | null, fallback: number) => (iso === null ? fallback : Date.parse(iso));
  const lanes: Lane[] = [
    {
      key: `c:${s.id}`,
      kind: 'control',
      label: `control ${s.client.ip}:${s.client.port} → ${s.server.port}, ${s.state}, helper ${s.helper ?? 'none'}`,
      start: Date.parse(s.startedAt),
      end: t(s.endedAt, now),
      problem: s.helper === null,
      tick: false,
    },
  ];
  for (const e of s.expectations) {
    const end = e.fulfilledAt ?? e.expiredAt;
    const how = e.fulfilledAt ? 'fulfilled' : e.expiredAt ? 'expired unused' : 'open';
    lanes.push({
      key: `e:${e.id}`,
      kind: 'expectation',
      label: `expectation ${e.mode} port ${e.port}: ${how}`,
      start: Date.parse(e.createdAt),
      end: t(end, now),
      problem: e.expiredAt !== null && e.fulfilledAt === null,
      tick: false,
    });
  }
  for (const d of s.dataConnections) {
    const failed = !d.established;
    lanes.push({
      key: `d:${d.id}`,
      kind: 'data',
      label: `data ${d.mode} ${d.clientPort} ↔ ${d.serverPort}${d.attribution === 'heuristic' ? ' (matched heuristically)' : ''}: ${failed ? 'never established' : formatBytes(d.bytes)}`,
      start: Date.parse(d.startedAt),
      end: t(d.endedAt, now),
      problem: failed,
      tick: false,
    });
  }
  for (const d of drops) {
    const at = Date.parse(d.at);
    lanes.push({
      key: `x:${d.id}`,
      kind: 'drop',
      label: `dropped ${d.proto} ${d.src}:${d.sport ?? ''} → ${d.dst}:${d.dport ?? ''} ${d.flags ?? ''}${d.prefix ? ` (${d.prefix})` : ''}`,
      start: at,
      end: at,
      problem: true,
      tick: true,
    });
  }
  return lanes;
}

/** The window all lanes fit in, padded by 5% (at least 100 ms: FTP sessions can be that short) on each side. */
export function lanesWindow(lanes: readonly Lane[]): { from: number; to: number } {
  const from = Math.min(...lanes.map((l) => l.start));
  const to = Math.max(...lanes.map((l) => l.end));
  const pad = Math.max(100, (to - from) * 0.05);
  return { from: from - pad, to: to + pad };
}
