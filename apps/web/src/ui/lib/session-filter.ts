import type { SessionRow } from './rows.ts';

/** Rows whose client address (or user name) contains `q`, newest first. */
export function filterSessions(rows: Iterable<SessionRow>, q: string): SessionRow[] {
  const needle = q.trim().toLowerCase();
  const out: SessionRow[] = [];
  for (const r of rows) {
    if (!needle || r.clientIp.toLowerCase().includes(needle) || r.user?.toLowerCase().includes(needle))
      out.push(r);
  }
  return out.sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? -1 : 1));
}
