import type { DataChannelOutcome, SessionOutcome } from '@ftpscope/shared';
import type { InvestigateAttempt, InvestigateSession } from './history.ts';

/** Outcomes that mean the data channel did not work (`unused`: offered, but the client's connection never came). */
export const FAILED: ReadonlySet<DataChannelOutcome> = new Set(['dropped', 'refused', 'timed-out', 'unused']);

/** Whether an attempt worked, failed, or is not decided (pending, unknown). */
export function verdict(a: Pick<InvestigateAttempt, 'outcome'>): 'ok' | 'failed' | null {
  if (a.outcome === 'ok') return 'ok';
  return FAILED.has(a.outcome) ? 'failed' : null;
}

/** How a session's data channels went, worst first (see SessionOutcome). */
export function sessionOutcome(s: Pick<InvestigateSession, 'attempts'>): SessionOutcome {
  if (s.attempts.length === 0) return 'none';
  let ok = 0;
  let failed = 0;
  for (const a of s.attempts) {
    const v = verdict(a);
    if (v === 'ok') ok++;
    else if (v === 'failed') failed++;
  }
  if (failed > 0) return ok > 0 ? 'mixed' : 'failed';
  return ok > 0 ? 'ok' : 'unknown';
}

/** The outcome as a phrase: "dropped", "refused", "timed out", "offered but never used". */
export function outcomeWords(o: DataChannelOutcome): string {
  switch (o) {
    case 'timed-out':
      return 'timed out';
    case 'unused':
      return 'offered but never used';
    default:
      return o;
  }
}

/** "1 session", "36 sessions". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
