import { type LiveEvent, type LiveEvents, mergeRecords, replaceKey, semanticsOf } from '@ftpscope/shared';

/** Queue key of an event: replaced per EVENT_SEMANTICS, merged per kind (counters), or null (kept, capped). */
function queueKey(e: LiveEvent): string | null {
  const s = semanticsOf(e);
  return replaceKey(e) ?? (s.mode === 'append' && s.merge ? `merge:${e.kind}` : null);
}

/**
 * A browser's pending live events, bounded, following EVENT_SEMANTICS: upserts and latest-per-host states are
 * coalesced to the latest per key (an update moves it to the end, so the order of last updates is kept),
 * mergeable records (counters) are merged, and other appended records (drops, gaps, health, rulesets, syncs)
 * beyond `maxAppends` per host drop the oldest. `size` never exceeds the objects alive.
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
      const key = queueKey(e);
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
      q.set(key, (old && mergeRecords(old, e)) ?? e);
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
