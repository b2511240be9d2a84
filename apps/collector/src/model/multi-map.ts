/** What `get` returns for a key with no values (one shared empty list). */
const NONE: readonly never[] = Object.freeze([]);

/**
 * A Map of small lists in insertion order: the model's secondary indexes (by tuple, by client address). A key
 * with one value holds it directly (most tuples have one session), so V must not itself be an array.
 */
export class MultiMap<K, V extends object> {
  private readonly map = new Map<K, V | V[]>();

  /** Values under `key`, oldest first (empty when none). */
  get(key: K): readonly V[] {
    const v = this.map.get(key);
    return v === undefined ? NONE : Array.isArray(v) ? v : [v];
  }

  /** The first value under `key` that matches (without the array `get` makes for a single value). */
  find(key: K, match: (v: V) => boolean): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    return Array.isArray(v) ? v.find(match) : match(v) ? v : undefined;
  }

  add(key: K, value: V): void {
    const v = this.map.get(key);
    if (v === undefined) this.map.set(key, value);
    else if (Array.isArray(v)) v.push(value);
    else this.map.set(key, [v, value]);
  }

  /** Removes one value; the key goes away with its last value, so memory follows the live entries. */
  delete(key: K, value: V): void {
    const v = this.map.get(key);
    if (v === undefined) return;
    if (!Array.isArray(v)) {
      if (v === value) this.map.delete(key);
      return;
    }
    const i = v.indexOf(value);
    if (i < 0) return;
    v.splice(i, 1);
    if (v.length === 1) this.map.set(key, v[0] as V);
  }

  /** Removes the values of `key` that match `drop`. */
  prune(key: K, drop: (v: V) => boolean): void {
    const kept = this.get(key).filter((v) => !drop(v));
    if (kept.length === 0) this.map.delete(key);
    else this.map.set(key, kept.length === 1 ? (kept[0] as V) : kept);
  }

  /** Every value, key by key. */
  *values(): IterableIterator<V> {
    for (const v of this.map.values()) {
      if (Array.isArray(v)) yield* v;
      else yield v;
    }
  }

  /** Every key. */
  keys(): IterableIterator<K> {
    return this.map.keys();
  }
}
