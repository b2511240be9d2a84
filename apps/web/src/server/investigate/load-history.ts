import type { InvestigateStore, Store } from '../store/index.ts';
import {
  CHANGE_LOOKBACK_MS,
  type DropMinute,
  type History,
  type NamedRule,
  type Subject,
} from './history.ts';
import { verdict } from './outcomes.ts';

/** Sessions read per question; the answer says when the window held more. */
export const MAX_SESSIONS = 2000;
/** How far back "it last worked" is looked for when nothing worked in the window. */
const LAST_OK_LOOKBACK_MS = 24 * 60 * 60_000;
/** Addresses whose logged drops are counted (a user or host may have many clients). */
const MAX_CLIENT_IPS = 100;
/** Diagnoses and gaps read per question. */
const MAX_ROWS = 2000;

/** Everything recorded about the subject in [from, to], read through the store's small queries. */
export async function loadHistory(
  store: Store,
  subject: Subject,
  from: number,
  to: number,
): Promise<History> {
  const q = store.investigate;
  const rows = await q.sessions(subject, from, to, MAX_SESSIONS + 1);
  // The store gives the newest sessions, oldest first: past the limit, the oldest one goes (the answer is about now).
  const sessions = rows.slice(-MAX_SESSIONS);
  const hosts = [
    ...new Set([...(subject.host ? [subject.host] : []), ...sessions.map((s) => s.host)]),
  ].sort();
  const ips = subject.client ? [subject.client] : [...new Set(sessions.map((s) => s.client))];
  const perHost = <T>(fn: (host: string) => Promise<T[]>) => Promise.all(hosts.map(fn)).then((l) => l.flat());
  const rules = await perHost((host) => {
    const ids = new Set<string>();
    for (const s of sessions)
      if (s.host === host) for (const a of s.attempts) if (a.ruleId) ids.add(a.ruleId);
    return rulesFor(q, host, [...ids]);
  });
  const lastOkBefore: Record<string, number> = {};
  for (const host of hosts) {
    const okHere = sessions.some((s) => s.host === host && s.attempts.some((a) => verdict(a) === 'ok'));
    if (okHere) continue;
    const at = await q.lastOkBefore(subject, host, from - LAST_OK_LOOKBACK_MS, from);
    if (at !== null) lastOkBefore[host] = at;
  }
  const changes = await perHost((host) => store.rules.changes(host, from - CHANGE_LOOKBACK_MS, to));
  const diagnoses =
    hosts.length === 0 ? [] : await store.diagnoses.list({ hosts, from, to, limit: MAX_ROWS });
  const gaps = await perHost((host) => store.events.gaps({ host, from, to, limit: MAX_ROWS }));
  const logged = ips.length === 0 ? [] : await q.clientDropMinutes(ips.slice(0, MAX_CLIENT_IPS), from, to);
  return {
    subject,
    from,
    to,
    sessions,
    truncated: rows.length > MAX_SESSIONS,
    changes: changes.sort((a, b) => a.at - b.at || cmp(a.host, b.host) || cmp(a.id, b.id)),
    diagnoses: diagnoses
      .map((d) => ({
        id: d.id,
        kind: d.kind,
        host: d.host,
        severity: d.severity,
        title: d.title,
        fix: d.fix,
        firstSeen: d.firstSeen,
        lastSeen: d.lastSeen,
        resolvedAt: d.resolvedAt,
      }))
      .sort((a, b) => a.firstSeen - b.firstSeen || cmp(a.id, b.id)),
    rules,
    dropMinutes: mergeDropMinutes(
      hosts.length === 0 ? [] : await q.dropMinutes(hosts, from, to),
      logged.filter((d) => hosts.includes(d.host)),
    ),
    gaps: gaps.sort((a, b) => a.at - b.at || a.id - b.id),
    lastOkBefore,
  };
}

/** Plain code-point order, the same on every engine and locale. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The rules with these ids, and the chains of those that only log (see droppedBy: the policy may have dropped). */
export async function rulesFor(q: InvestigateStore, host: string, ids: string[]): Promise<NamedRule[]> {
  const out = new Map<string, NamedRule>();
  for (const r of await q.rules(host, ids)) {
    out.set(r.id, r);
    if (r.verdict !== 'drop' && r.verdict !== 'reject' && !r.isPolicy)
      for (const c of await q.chainOf(host, r.id)) out.set(c.id, c);
  }
  return [...out.values()].sort((a, b) => cmp(a.id, b.id));
}

/**
 * Per host and minute, the larger of what rule counters counted and what drop events logged (an NFLOG rule
 * usually sits just before the policy that counts the same packets, and firewalld's rules have no counters),
 * seen from the earlier first to the later last time.
 */
export function mergeDropMinutes(
  counted: readonly DropMinute[],
  logged: readonly DropMinute[],
): DropMinute[] {
  const out = new Map<string, DropMinute>();
  // Unknown times (raw samples pruned) mean "somewhere in the minute": they stay unknown when merged.
  const min = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.min(a, b));
  const max = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.max(a, b));
  for (const d of [...counted, ...logged]) {
    const key = `${d.host}\0${d.at}`;
    const prev = out.get(key);
    if (!prev) out.set(key, { ...d });
    else
      out.set(key, {
        ...prev,
        packets: Math.max(prev.packets, d.packets),
        first: min(prev.first, d.first),
        last: max(prev.last, d.last),
      });
  }
  return [...out.values()].sort((a, b) => a.at - b.at || cmp(a.host, b.host));
}
