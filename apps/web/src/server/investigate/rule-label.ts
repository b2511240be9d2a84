import type { NamedRule } from './history.ts';

/**
 * A rule named the way operators say it: "INPUT policy DROP", or "INPUT rule 3 (-A INPUT -p tcp -j DROP)";
 * with `where`, its family and table too ("INPUT policy DROP (ipv4 filter)").
 */
export function ruleLabel(r: NamedRule, where = false): string {
  const place = where ? ` (${r.family} ${r.table})` : '';
  if (r.isPolicy) return `${r.chain} policy ${r.verdict.toUpperCase()}${place}`;
  const text = r.text.length > 120 ? `${r.text.slice(0, 117)}...` : r.text;
  return `${r.chain} rule ${r.position} (${text})${place}`;
}

const drops = (r: NamedRule) => r.verdict === 'drop' || r.verdict === 'reject';

/**
 * What dropped a packet that a logging rule (NFLOG, LOG) saw: such a rule names itself, not the drop. When it is
 * the last rule of its chain, the chain's DROP (or REJECT) policy took the packet; otherwise the hub cannot tell
 * which later rule did without evaluating them, and says so.
 */
export function droppedBy(logged: NamedRule, chain: readonly NamedRule[]): NamedRule | null {
  if (drops(logged) || logged.isPolicy) return logged;
  const same = chain.filter(
    (c) =>
      c.host === logged.host &&
      c.family === logged.family &&
      c.table === logged.table &&
      c.chain === logged.chain,
  );
  if (same.some((c) => !c.isPolicy && c.position > logged.position)) return null;
  const policy = same.find((c) => c.isPolicy);
  return policy && drops(policy) ? policy : null;
}

/** Labels of rules by host and id, for records that name a rule by id. */
export class RuleNames {
  readonly #byKey = new Map<string, NamedRule>();
  readonly #rules: readonly NamedRule[];

  constructor(rules: readonly NamedRule[]) {
    this.#rules = rules;
    for (const r of rules) this.#byKey.set(`${r.host}\0${r.id}`, r);
  }

  /**
   * The label of the rule that dropped a packet named by `ruleId` (the policy behind a logging rule at the end
   * of its chain), or a short form of the id when the hub never saw it (e.g. pruned).
   */
  label(host: string, ruleId: string, where = false): string {
    const r = this.#byKey.get(`${host}\0${ruleId}`);
    if (!r) return `rule ${ruleId.length > 40 ? `${ruleId.slice(0, 37)}...` : ruleId}`;
    const d = droppedBy(r, this.#rules);
    return d ? ruleLabel(d, where) : `a rule after ${ruleLabel(r, where)}, which logged it`;
  }
}
