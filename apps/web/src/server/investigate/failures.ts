import type { InvestigateAttempt } from './history.ts';
import { outcomeWords } from './outcomes.ts';
import type { RuleNames } from './rule-label.ts';

/** A failed data channel and the host it was asked on. */
export interface HostAttempt {
  host: string;
  a: InvestigateAttempt;
}

/** What happened to a failed channel: "dropped by INPUT policy DROP", "refused", "timed out". */
export function failureWords(host: string, a: InvestigateAttempt, names: RuleNames): string {
  const words = outcomeWords(a.outcome);
  if (a.ruleId !== null && (a.outcome === 'dropped' || a.outcome === 'refused'))
    return `${words} by ${names.label(host, a.ruleId)}`;
  return words;
}

/**
 * How a set of failed channels failed, most common first: "dropped by INPUT policy DROP" when all failed alike,
 * else "30 dropped by INPUT policy DROP, 6 timed out" (counted always with `alwaysCount`: "2 dropped by …").
 */
export function describeFailures(
  failed: readonly HostAttempt[],
  names: RuleNames,
  opts: { alwaysCount?: boolean } = {},
): string {
  const counts = new Map<string, number>();
  for (const f of failed) {
    const w = failureWords(f.host, f.a, names);
    counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const sorted = [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  if (sorted.length === 1 && !opts.alwaysCount) return (sorted[0] as [string, number])[0];
  return sorted.map(([w, n]) => `${n} ${w}`).join(', ');
}
