import type { InvestigateEntry, InvestigateListPage, SessionOutcome } from '@ftpscope/shared';
import { diffLabel } from './change-burst.ts';
import { describeFailures } from './failures.ts';
import type { History, InvestigateSession } from './history.ts';
import { FAILED, outcomeWords, sessionOutcome } from './outcomes.ts';
import { RuleNames } from './rule-label.ts';

/** Sessions listed per group when it is expanded; `count` still says how many the group holds. */
export const MAX_GROUP_SESSIONS = 200;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * "passive LIST", "active RETR+STOR", "passive data channel" (the client gave up before sending LIST: it sends
 * the command only once the data connection is up), "login" (no data channel).
 */
function whatLabel(s: InvestigateSession): string {
  const verbs = [...new Set(s.verbs)];
  if (s.attempts.length === 0)
    return verbs.length > 0 ? `${verbs.join('+')} without a data channel` : 'login';
  const modes = [...new Set(s.attempts.map((a) => a.mode))];
  const what = verbs.length > 0 ? verbs.join('+') : 'data channel';
  return modes.length === 1 ? `${modes[0]} ${what}` : what;
}

/** "ok", "dropped by INPUT policy DROP", "1 ok, 1 dropped by …", "no data channel", "outcome unknown". */
function resultLabel(s: InvestigateSession, outcome: SessionOutcome, names: RuleNames): string {
  if (outcome === 'none') return 'no data channel';
  const failed = s.attempts.filter((a) => FAILED.has(a.outcome)).map((a) => ({ host: s.host, a }));
  const ok = s.attempts.filter((a) => a.outcome === 'ok').length;
  if (outcome === 'ok') return 'ok';
  if (outcome === 'unknown') {
    const kinds = [...new Set(s.attempts.map((a) => outcomeWords(a.outcome)))];
    return kinds.length === 1 && kinds[0] === 'pending' ? 'pending' : 'outcome unknown';
  }
  // Mixed: "1 ok, 2 dropped by …" or "1 ok, 1 dropped by …, 1 timed out" (every kind with its count).
  return outcome === 'mixed'
    ? `${ok} ok, ${describeFailures(failed, names, { alwaysCount: true })}`
    : describeFailures(failed, names);
}

interface OpenGroup {
  signature: string;
  entry: Extract<InvestigateEntry, { type: 'sessions' }>;
}

/**
 * The grouped list of a history, oldest first: a client's consecutive sessions on a host that did the same and
 * ended the same are one entry ("36 × passive LIST from 198.18.1.100 → dropped by INPUT policy DROP"); ruleset
 * changes, diagnoses and gaps in the window are entries of their own, where they happened.
 */
export function entriesOf(h: History): InvestigateEntry[] {
  const names = new RuleNames(h.rules);
  const groups: OpenGroup['entry'][] = [];
  const open = new Map<string, OpenGroup>();
  for (const s of h.sessions) {
    const outcome = sessionOutcome(s);
    const who = s.user !== null && s.user !== 'anonymous' ? `${s.client} (${s.user})` : s.client;
    const label = `${whatLabel(s)} from ${who} → ${resultLabel(s, outcome, names)}`;
    const stream = `${s.host}\0${s.client}`;
    const signature = `${label}\0${outcome}`;
    const at = iso(s.startedAt);
    const g = open.get(stream);
    if (g && g.signature === signature) {
      g.entry.count++;
      g.entry.to = at;
      if (g.entry.sessions.length < MAX_GROUP_SESSIONS) g.entry.sessions.push({ id: s.id, at, outcome });
      continue;
    }
    const entry: OpenGroup['entry'] = {
      type: 'sessions',
      host: s.host,
      client: s.client,
      label,
      outcome,
      count: 1,
      from: at,
      to: at,
      sessions: [{ id: s.id, at, outcome }],
    };
    groups.push(entry);
    open.set(stream, { signature, entry });
  }
  const others: InvestigateEntry[] = [
    ...h.changes
      .filter((c) => c.at >= h.from && c.at <= h.to)
      .map((c) => ({
        type: 'change' as const,
        id: c.id,
        host: c.host,
        at: iso(c.at),
        label: diffLabel(c.diff),
      })),
    ...h.diagnoses
      .filter((d) => d.firstSeen >= h.from && d.firstSeen <= h.to)
      .map((d) => ({
        type: 'diagnosis' as const,
        id: d.id,
        host: d.host,
        at: iso(d.firstSeen),
        kind: d.kind,
        title: d.title,
        severity: d.severity,
        resolvedAt: d.resolvedAt === null ? null : iso(d.resolvedAt),
      })),
    ...h.gaps.map((g) => ({
      type: 'gap' as const,
      host: g.host,
      at: iso(g.at),
      label: `the collector could not see everything (${g.source}): ${g.reason}`,
    })),
  ];
  const start = (e: InvestigateEntry) => (e.type === 'sessions' ? e.from : e.at);
  // ISO strings of one format sort chronologically; a change sorts before the sessions it may explain.
  const rank = (e: InvestigateEntry) => (e.type === 'change' ? 0 : e.type === 'sessions' ? 2 : 1);
  return [...groups, ...others].sort((a, b) =>
    start(a) < start(b) ? -1 : start(a) > start(b) ? 1 : rank(a) - rank(b),
  );
}

/** One page of the entries. */
export function pageOf(
  entries: readonly InvestigateEntry[],
  offset: number,
  limit: number,
): InvestigateListPage {
  return { total: entries.length, offset, limit, entries: entries.slice(offset, offset + limit) };
}
