/** What `get` returns for a key with no values (one shared empty list). */
const NONE: readonly never[] = Object.freeze([]);

/**
 * A Map of small collections in insertion order: the model's secondary indexes (by tuple, by client address).
 * A key with one value holds it directly (most tuples have one session); a key with more holds a Set, so
 * removing one value costs the same however many share the key: every session behind one NAT address shares
 * its client key, and forgetting 100k of them one by one from an array took 3.9 s (indexOf and splice each;
 * bench 1). V must not itself be a Set.
 */
export class MultiMap<K, V extends object> {
  private readonly map = new Map<K, V | Set<V>>();

  /** Values under `key`, oldest first (empty when none). */
  get(key: K): Iterable<V> {
    const v = this.map.get(key);
    return v === undefined ? NONE : v instanceof Set ? v : [v];
  }

  /** Whether any value is under `key`. */
  has(key: K): boolean {
    return this.map.has(key);
  }

  /** The first value under `key` that matches (without the list `get` makes for a single value). */
  find(key: K, match: (v: V) => boolean): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    if (!(v instanceof Set)) return match(v) ? v : undefined;
    for (const x of v) if (match(x)) return x;
    return undefined;
  }

  add(key: K, value: V): void {
    const v = this.map.get(key);
    if (v === undefined) this.map.set(key, value);
    else if (v instanceof Set) v.add(value);
    else if (v !== value) this.map.set(key, new Set([v, value]));
  }

  /** Removes one value; the key goes away with its last value, so memory follows the live entries. */
  delete(key: K, value: V): void {
    const v = this.map.get(key);
    if (v === undefined) return;
    if (!(v instanceof Set)) {
      if (v === value) this.map.delete(key);
      return;
    }
    if (!v.delete(value) || v.size > 1) return;
    const [last] = v;
    this.map.set(key, last as V);
  }

  /** Removes the values of `key` that match `drop`. */
  prune(key: K, drop: (v: V) => boolean): void {
    for (const v of [...this.get(key)]) if (drop(v)) this.delete(key, v);
  }

  /** Every value, key by key. */
  *values(): IterableIterator<V> {
    for (const v of this.map.values()) {
      if (v instanceof Set) yield* v;
      else yield v;
    }
  }

  /** Every key. */
  keys(): IterableIterator<K> {
    return this.map.keys();
  }
}
