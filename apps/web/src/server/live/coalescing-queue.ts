import type { LiveEvent, LiveEvents, RuleCounter } from '@ftpscope/shared';

type CountersEvent = Extract<LiveEvent, { kind: 'counters' }>;

/** Key under which an event replaces older ones; null for events that must all be delivered (drops, gaps). */
function stateKey(e: LiveEvent): string | null {
  switch (e.kind) {
    case 'session':
      return `session:${e.session.id}`;
    case 'expectation':
      return `expectation:${e.expectation.id}`;
    case 'data':
      return `data:${e.data.id}`;
    case 'diagnosis':
      return `diagnosis:${e.diagnosis.id}`;
    case 'drop':
    case 'gap':
      return null;
    default:
      // ruleset, counters, health, settings, sync, host: one latest state per host.
      return e.kind;
  }
}

/** Sums deltas and keeps the latest totals, so merged counters still add up. */
function mergeCounters(older: CountersEvent, newer: CountersEvent): CountersEvent {
  const byRule = new Map<string, RuleCounter>(older.counters.map((c) => [c.ruleId, c]));
  for (const c of newer.counters) {
    const o = byRule.get(c.ruleId);
    byRule.set(c.ruleId, o ? { ...c, dPackets: o.dPackets + c.dPackets, dBytes: o.dBytes + c.dBytes } : c);
  }
  return {
    kind: 'counters',
    at: newer.at,
    intervalMs: older.intervalMs + newer.intervalMs,
    counters: [...byRule.values()],
  };
}

/**
 * A browser's pending live events, bounded: full states are coalesced to the latest per object id (an update
 * moves the object to the end, so the order of last updates is kept), counters are merged, and appended
 * records (drops, gaps) beyond `maxAppends` per host drop the oldest. `size` never exceeds the objects alive.
 */
export class CoalescingQueue {
  readonly #hosts = new Map<string, Map<string, LiveEvent>>();
  readonly #appends = new Map<string, number>();
  readonly #maxAppends: number;
  #appendSeq = 0;
  #size = 0;
  /** Appended records discarded because the browser was too slow (they stay available over REST). */
  discarded = 0;

  constructor(opts: { maxAppends?: number } = {}) {
    this.#maxAppends = opts.maxAppends ?? 1000;
  }

  /** Number of queued events. */
  get size(): number {
    return this.#size;
  }

  push(host: string, events: LiveEvent[]): void {
    let q = this.#hosts.get(host);
    if (!q) {
      q = new Map();
      this.#hosts.set(host, q);
    }
    for (const e of events) {
      const key = stateKey(e);
      if (key === null) {
        q.set(`append:${this.#appendSeq++}`, e);
        this.#size++;
        this.#trimAppends(host, q);
        continue;
      }
      const old = q.get(key);
      if (old) {
        q.delete(key);
        this.#size--;
      }
      q.set(key, old?.kind === 'counters' && e.kind === 'counters' ? mergeCounters(old, e) : e);
      this.#size++;
    }
  }

  #trimAppends(host: string, q: Map<string, LiveEvent>): void {
    const appends = (this.#appends.get(host) ?? 0) + 1;
    this.#appends.set(host, appends);
    if (appends <= this.#maxAppends) return;
    for (const k of q.keys()) {
      if (!k.startsWith('append:')) continue;
      q.delete(k);
      this.#size--;
      this.discarded++;
      this.#appends.set(host, appends - 1);
      return;
    }
  }

  /** Takes everything queued, one message per host. */
  drain(): LiveEvents[] {
    const out: LiveEvents[] = [];
    for (const [host, q] of this.#hosts) out.push({ type: 'events', host, events: [...q.values()] });
    this.#hosts.clear();
    this.#appends.clear();
    this.#size = 0;
    return out;
  }
}
