import type { HostAttempt } from './failures.ts';
import type { InvestigateAttempt, InvestigateSession } from './history.ts';
import { verdict } from './outcomes.ts';

/** How the subject's data channels went on one host over the window. */
export interface HostStory {
  host: string;
  /** failing: the last decided channels failed; recovered: some failed, the last ones worked; ok: none failed. */
  state: 'failing' | 'recovered' | 'ok';
  /** First failed channel of the (last) run of failures. */
  since: number | null;
  /** Last failed channel of that run. */
  lastFailAt: number | null;
  /** First channel that worked after it (recovered only). */
  recoveredAt: number | null;
  /** Last channel that worked before it (in the window, or before it when the history says so). */
  lastOkAt: number | null;
  /** The failed channels of that run. */
  failed: HostAttempt[];
  okCount: number;
  failedCount: number;
}

interface Run {
  ok: boolean;
  items: InvestigateAttempt[];
}

/**
 * Splits a host's decided data channels (ok or failed; pending and unknown ones say nothing) into runs of the
 * same verdict, in time order, and reads the story off the last ones: failing since the first failure of the
 * final run, or recovered after the last run of failures.
 */
export function hostStory(
  host: string,
  sessions: readonly InvestigateSession[],
  lastOkBefore: number | undefined,
): HostStory {
  const decided = sessions
    .filter((s) => s.host === host)
    .flatMap((s) => s.attempts)
    .filter((a) => verdict(a) !== null)
    .sort((a, b) => a.askedAt - b.askedAt);
  const runs: Run[] = [];
  for (const a of decided) {
    const ok = verdict(a) === 'ok';
    const last = runs.at(-1);
    if (last && last.ok === ok) last.items.push(a);
    else runs.push({ ok, items: [a] });
  }
  const okCount = decided.filter((a) => a.outcome === 'ok').length;
  const story: HostStory = {
    host,
    state: 'ok',
    since: null,
    lastFailAt: null,
    recoveredAt: null,
    lastOkAt: null,
    failed: [],
    okCount,
    failedCount: decided.length - okCount,
  };
  let k = runs.length - 1;
  while (k >= 0 && (runs[k] as Run).ok) k--;
  if (k < 0) return story;
  const failRun = runs[k] as Run;
  const before = runs[k - 1];
  const after = runs[k + 1];
  story.state = after ? 'recovered' : 'failing';
  story.since = (failRun.items[0] as InvestigateAttempt).askedAt;
  story.lastFailAt = (failRun.items.at(-1) as InvestigateAttempt).askedAt;
  story.recoveredAt = after ? (after.items[0] as InvestigateAttempt).askedAt : null;
  story.lastOkAt = before ? (before.items.at(-1) as InvestigateAttempt).askedAt : (lastOkBefore ?? null);
  story.failed = failRun.items.map((a) => ({ host, a }));
  return story;
}
