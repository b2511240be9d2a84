/** A Map of small lists in insertion order: the model's secondary indexes (by tuple, by client address). */
export class MultiMap<K, V> {
  private readonly map = new Map<K, V[]>();

  /** Values under `key`, oldest first (empty when none). */
  get(key: K): readonly V[] {
    return this.map.get(key) ?? [];
  }

  add(key: K, value: V): void {
    const list = this.map.get(key);
    if (list) list.push(value);
    else this.map.set(key, [value]);
  }

  /** Removes one value; the key goes away with its last value, so memory follows the live entries. */
  delete(key: K, value: V): void {
    const list = this.map.get(key);
    if (!list) return;
    const i = list.indexOf(value);
    if (i < 0) return;
    if (list.length === 1) this.map.delete(key);
    else list.splice(i, 1);
  }

  /** Removes the values of `key` that match `drop`. */
  prune(key: K, drop: (v: V) => boolean): void {
    const list = this.map.get(key);
    if (!list) return;
    const kept = list.filter((v) => !drop(v));
    if (kept.length === 0) this.map.delete(key);
    else if (kept.length !== list.length) this.map.set(key, kept);
  }

  /** Every key with its values. */
  entries(): IterableIterator<[K, V[]]> {
    return this.map.entries();
  }
}
