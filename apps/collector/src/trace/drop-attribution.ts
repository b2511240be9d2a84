import type { CollectorEvent, RuleDef, TraceRule } from '@ftpscope/shared';

/**
 * Names the rule that dropped an unanswered SYN from what the collector already knows: a drop event of that
 * very packet (NFLOG, or the observation table's traced drops, which carry the rule id), else the drop/reject
 * rule or DROP policy whose counter moved while the SYN was being retried.
 */

/** A dropped packet the collector saw (NFLOG or traced). */
interface SeenDrop {
  at: number;
  src: string;
  dst: string;
  sport: number | null;
  dport: number | null;
  ruleId: string | null;
  prefix: string | null;
}

/** Packets one drop/reject rule counted in one poll ending at `at`. */
interface CounterMove {
  at: number;
  intervalMs: number;
  ruleId: string;
  dPackets: number;
}

/** The unanswered SYN: its tuple, first and last attempt, and which way it went through the host. */
export interface UnansweredSyn {
  firstAt: number;
  lastAt: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** true when the SYN came into the host (passive data), false when the host sent it (active data). */
  inbound: boolean;
}

/** How long evidence is kept (longer than any trace's SYN retries). */
const KEEP_MS = 120_000;
const MAX_ITEMS = 5000;
/** A drop or counter poll this close after the last attempt still counts (polls lag the packet). */
const SLACK_MS = 2000;

/** The readable name of a rule: "INPUT policy DROP" or "INPUT #3: -A INPUT … -j DROP". */
export function ruleLabel(r: RuleDef): string {
  if (r.isPolicy) return `${r.chain} policy ${r.verdict.toUpperCase()}`;
  return `${r.chain} #${r.position}: ${r.text}`.slice(0, 512);
}

/** Chains a packet into the host (passive data) or out of it (active data) passes, by their usual names. */
function chainFits(chain: string, inbound: boolean): boolean {
  return inbound ? /input|prerouting|forward/i.test(chain) : /output|postrouting/i.test(chain);
}

/** What the collector saw lately: rules, counter moves of drop rules, dropped packets. */
export class DropEvidence {
  readonly #rules = new Map<string, RuleDef>();
  readonly #moves: CounterMove[] = [];
  readonly #drops: SeenDrop[] = [];

  /** Takes one of the monitor's events (the others are ignored). */
  observe(e: CollectorEvent): void {
    if (e.kind === 'ruleset') {
      this.#rules.clear();
      for (const r of e.rules) this.#rules.set(r.id, r);
    } else if (e.kind === 'counters') {
      for (const c of e.counters) {
        const r = this.#rules.get(c.ruleId);
        if (c.dPackets > 0 && r && (r.verdict === 'drop' || r.verdict === 'reject'))
          this.#moves.push({ at: e.at, intervalMs: e.intervalMs, ruleId: c.ruleId, dPackets: c.dPackets });
      }
      this.#trim(this.#moves, e.at);
    } else if (e.kind === 'drop') {
      this.#drops.push(e.drop);
      this.#trim(this.#drops, e.drop.at);
    }
  }

  #trim(list: { at: number }[], now: number): void {
    let n = 0;
    while (n < list.length && ((list[n] as { at: number }).at < now - KEEP_MS || list.length - n > MAX_ITEMS))
      n++;
    if (n > 0) list.splice(0, n);
  }

  /** The rule that dropped the SYN, or null when nothing the collector saw names one. */
  attribute(syn: UnansweredSyn): TraceRule | null {
    const to = syn.lastAt + SLACK_MS;
    const drop = this.#drops.find(
      (d) =>
        d.at >= syn.firstAt - 50 &&
        d.at <= to &&
        d.src === syn.src &&
        d.dst === syn.dst &&
        d.dport === syn.dport &&
        (d.sport === null || d.sport === syn.sport) &&
        d.ruleId !== null,
    );
    if (drop?.ruleId) {
      const r = this.#rules.get(drop.ruleId);
      return { ruleId: drop.ruleId, label: r ? ruleLabel(r) : (drop.prefix ?? drop.ruleId), how: 'drop' };
    }
    // A poll ending at `at` covers the interval before it: it counts the SYN if it ended after the first attempt.
    const moved = new Map<string, number>();
    for (const m of this.#moves) {
      if (m.at < syn.firstAt || m.at - m.intervalMs > to) continue;
      moved.set(m.ruleId, (moved.get(m.ruleId) ?? 0) + m.dPackets);
    }
    const fitting = [...moved].filter(([id]) => chainFits(this.#rules.get(id)?.chain ?? '', syn.inbound));
    const ranked = (fitting.length > 0 ? fitting : [...moved]).sort((a, b) => b[1] - a[1]);
    const best = ranked[0];
    if (!best) return null;
    const r = this.#rules.get(best[0]);
    return { ruleId: best[0], label: r ? ruleLabel(r) : best[0], how: 'counter' };
  }
}
