import type { DataChannelAttempt, DataConnection, Expectation, FtpSession } from '@ftpscope/shared';

/**
 * Folds the reports of one object within a batch into one, with the same rules the upsert applies to a
 * stored row (so one statement writes each row once, and the result is the same as applying them in turn):
 * the later report wins, except what a less informed one cannot know.
 */
export function fold<T>(items: T[], id: (t: T) => string, merge: (older: T, newer: T) => T): T[] {
  const byId = new Map<string, T>();
  for (const item of items) {
    const k = id(item);
    const older = byId.get(k);
    byId.set(k, older === undefined ? item : merge(older, item));
  }
  return [...byId.values()];
}

/** UPSERT_SESSIONS' rules: earliest start, a helper/user once known, a known mode, TLS once seen. */
export function mergeSession(o: FtpSession, n: FtpSession): FtpSession {
  return {
    ...n,
    helper: n.helper ?? o.helper,
    user: n.user ?? o.user,
    mode: n.mode === 'unknown' ? o.mode : n.mode,
    tls: n.tls || o.tls,
    startedAt: Math.min(o.startedAt, n.startedAt),
    requestedHost: n.requestedHost ?? o.requestedHost ?? null,
  };
}

/** UPSERT_ATTEMPTS' rules: the earliest ask, the rest from the later report. */
export function mergeAttempt(
  o: { sessionId: string; a: DataChannelAttempt },
  n: { sessionId: string; a: DataChannelAttempt },
): { sessionId: string; a: DataChannelAttempt } {
  return { sessionId: n.sessionId, a: { ...n.a, askedAt: Math.min(o.a.askedAt, n.a.askedAt) } };
}

/** UPSERT_EXPECTATIONS' rules: the earliest creation, the rest from the later report. */
export function mergeExpectation(
  o: { e: Expectation; seenAt: number },
  n: { e: Expectation; seenAt: number },
): { e: Expectation; seenAt: number } {
  return { e: { ...n.e, createdAt: Math.min(o.e.createdAt, n.e.createdAt) }, seenAt: n.seenAt };
}

/** UPSERT_DATA's rules: the earliest start, the rest from the later report. */
export function mergeData(o: DataConnection, n: DataConnection): DataConnection {
  return { ...n, startedAt: Math.min(o.startedAt, n.startedAt) };
}
