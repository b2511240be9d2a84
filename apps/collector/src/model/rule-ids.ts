import type { RuleDef } from '@ftpscope/shared';
import type { RuleRecord } from '../sources/rule-record.ts';
import { memoize } from './memoize.ts';
import { shortHash } from './short-hash.ts';

/** shortHash('r', ...base, nth) of a rule seen before, without hashing it every poll (same digest input). */
const ruleId = memoize((key) => shortHash('r', key), 50_000);

/** A rule with its stable id, its definition and its counters. */
export interface IdentifiedRule {
  def: RuleDef;
  record: RuleRecord;
}

/**
 * Gives every rule a stable id that survives unrelated inserts: its comment when it has one, else
 * backend + family + table + chain + normalised text, each with the nth occurrence for duplicates.
 * Policies are identified by their chain alone, so a policy change keeps its id.
 */
export function identifyRules(records: RuleRecord[]): IdentifiedRule[] {
  const seen = new Map<string, number>();
  return records.map((r) => {
    const base = r.isPolicy
      ? ['policy', r.backend, r.family, r.table, r.chain]
      : r.comment !== null
        ? ['comment', r.backend, r.family, r.table, r.chain, r.comment]
        : ['text', r.backend, r.family, r.table, r.chain, r.text];
    const key = base.join('\u0000');
    const nth = seen.get(key) ?? 0;
    seen.set(key, nth + 1);
    const def: RuleDef = {
      id: ruleId(`${key}\u0000${nth}`),
      backend: r.backend,
      family: r.family,
      table: r.table,
      chain: r.chain,
      position: r.position,
      text: r.text.slice(0, 4096),
      verdict: r.verdict,
      isPolicy: r.isPolicy,
      comment: r.comment?.slice(0, 256) ?? null,
    };
    return { def, record: r };
  });
}
