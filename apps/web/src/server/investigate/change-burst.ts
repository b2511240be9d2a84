import type { RulesetDiff } from '@ftpscope/shared';
import type { RulesetChangeRecord } from './history.ts';

/** Changes closer together than this are one change (a flush followed by a restore, a manager's reload). */
export const BURST_MS = 5_000;

/** The changes of `last`'s host that form one burst ending with it, oldest first. */
export function burstEndingWith(
  changes: readonly RulesetChangeRecord[],
  last: RulesetChangeRecord,
): RulesetChangeRecord[] {
  const mine = changes.filter((c) => c.host === last.host && c.at <= last.at).sort((a, b) => a.at - b.at);
  const end = mine.indexOf(last);
  let i = end;
  // chained: each change of the burst is within BURST_MS of the next one
  while (i > 0 && (mine[i] as RulesetChangeRecord).at - (mine[i - 1] as RulesetChangeRecord).at < BURST_MS)
    i--;
  return mine.slice(i, end + 1);
}

/**
 * What a burst of changes did in the end: a rule removed and added back within it cancels out, a policy
 * that went ACCEPT→DROP→ACCEPT did not change.
 */
export function netDiff(burst: readonly RulesetChangeRecord[]): RulesetDiff {
  const count = new Map<string, number>();
  const policies = new Map<string, RulesetDiff['policyChanges'][number]>();
  for (const c of burst) {
    for (const r of c.diff.removed) count.set(r, (count.get(r) ?? 0) - 1);
    for (const r of c.diff.added) count.set(r, (count.get(r) ?? 0) + 1);
    for (const p of c.diff.policyChanges) {
      const key = `${p.family}/${p.table}/${p.chain}`;
      const first = policies.get(key);
      policies.set(key, { ...p, from: first ? first.from : p.from });
    }
  }
  const added: string[] = [];
  const removed: string[] = [];
  for (const [r, n] of count) {
    for (let i = 0; i < n; i++) added.push(r);
    for (let i = 0; i < -n; i++) removed.push(r);
  }
  const moved = burst.length === 1 ? (burst[0] as RulesetChangeRecord).diff.moved : [];
  return { added, removed, moved, policyChanges: [...policies.values()].filter((p) => p.from !== p.to) };
}

/** "+3 −1 rules, INPUT policy ACCEPT→DROP" */
export function diffLabel(d: RulesetDiff): string {
  const parts = [`+${d.added.length} −${d.removed.length} rules`];
  if (d.moved.length > 0) parts.push(`${d.moved.length} moved`);
  for (const p of d.policyChanges)
    parts.push(`${p.family === 'ipv4' ? '' : `${p.family} `}${p.chain} policy ${p.from}→${p.to}`);
  return parts.join(', ');
}
