import type { RuleDef, RulesetDiff } from '@ftpscope/shared';
import { shortHash } from './short-hash.ts';

/** How a rule is named in a diff: "<family> <table> <chain>: <text>". */
export function diffLabel(r: RuleDef): string {
  return `${r.family} ${r.table} ${r.chain}: ${r.text}`;
}

/**
 * The one id of a ruleset change (host, time and diff hashed): the hub stores it and every link uses it. Stable,
 * so a batch resent from the spool names the same change.
 */
export function rulesetChangeIdFor(host: string, at: number, diff: RulesetDiff): string {
  return shortHash('rc', host, at, JSON.stringify(diff));
}

/**
 * When a ruleset change read now happened. nf_tables announces every change: it happened at the first
 * notification of the burst that announced it (delivered, or still being debounced when a poll read the change).
 * Without one (iptables-legacy, or a notification not yet read) it is the time of the read. Never before the
 * previous change: the hub takes the newest ruleset by time as the current one, so a change read later must not
 * be stamped earlier (a poll that read the middle of a burst, stamped at its read, then the burst's own read).
 */
export function changeStamp(notified: number | null, readAt: number, previousAt: number): number {
  return Math.max(previousAt, notified ?? readAt);
}

/** True when two rule lists differ in text, order or policy (counters are not part of a RuleDef). */
export function rulesetChanged(a: RuleDef[], b: RuleDef[]): boolean {
  if (a.length !== b.length) return true;
  return a.some((r, i) => {
    const o = b[i] as RuleDef;
    return r.id !== o.id || r.text !== o.text || r.position !== o.position;
  });
}

/** Indices of a longest increasing subsequence (patience sorting, O(n log n)). */
function lis(seq: number[]): Set<number> {
  const tails: number[] = [];
  const prev = new Array<number>(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((seq[tails[mid] as number] as number) < (seq[i] as number)) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1] as number;
    tails[lo] = i;
  }
  const keep = new Set<number>();
  for (let i = tails.length ? (tails[tails.length - 1] as number) : -1; i >= 0; i = prev[i] as number)
    keep.add(i);
  return keep;
}

/**
 * What changed between two rule lists: rules added and removed (by id), rules whose order among the
 * rules present in both changed (moved: not on a longest common order), and chain policies changed.
 */
export function diffRulesets(before: RuleDef[], after: RuleDef[]): RulesetDiff {
  const oldById = new Map(before.map((r) => [r.id, r]));
  const newById = new Map(after.map((r) => [r.id, r]));
  const diff: RulesetDiff = { added: [], removed: [], moved: [], policyChanges: [] };
  for (const r of after) {
    const o = oldById.get(r.id);
    if (r.isPolicy) {
      if (o && o.text !== r.text)
        diff.policyChanges.push({
          family: r.family,
          table: r.table,
          chain: r.chain,
          from: o.text.split(' ').pop() ?? o.text,
          to: r.text.split(' ').pop() ?? r.text,
        });
      else if (!o) diff.added.push(diffLabel(r));
    } else if (!o || o.text !== r.text) diff.added.push(diffLabel(r));
  }
  for (const r of before) {
    const n = newById.get(r.id);
    if (!n || (!r.isPolicy && n.text !== r.text)) diff.removed.push(diffLabel(r));
  }
  const chains = new Map<string, RuleDef[]>();
  for (const r of after) {
    const o = oldById.get(r.id);
    if (r.isPolicy || !o || o.text !== r.text) continue;
    const key = `${r.backend} ${r.family} ${r.table} ${r.chain}`;
    chains.set(key, [...(chains.get(key) ?? []), r]);
  }
  for (const rules of chains.values()) {
    const seq = rules.map((r) => (oldById.get(r.id) as RuleDef).position);
    const keep = lis(seq);
    rules.forEach((r, i) => {
      if (!keep.has(i)) diff.moved.push({ text: diffLabel(r), from: seq[i] as number, to: r.position });
    });
  }
  return diff;
}
