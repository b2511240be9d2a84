/**
 * A Map whose readers re-run once per commit(), not once per set: for collections rewritten in bulk every frame
 * (10,000 live sessions). A SvelteMap signals every set and every key; profiling the host view during 1 Hz
 * updates of every session showed that signalling as the largest part of each update frame.
 */
export class BatchedMap<K, V> extends Map<K, V> {
  #version = $state(0);
  #dirty = false;

  override set(key: K, value: V): this {
    this.#dirty = true;
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    const had = super.delete(key);
    if (had) this.#dirty = true;
    return had;
  }

  override clear(): void {
    if (super.size > 0) this.#dirty = true;
    super.clear();
  }

  override get(key: K): V | undefined {
    this.#track();
    return super.get(key);
  }

  override has(key: K): boolean {
    this.#track();
    return super.has(key);
  }

  override get size(): number {
    this.#track();
    return super.size;
  }

  override values(): MapIterator<V> {
    this.#track();
    return super.values();
  }

  override keys(): MapIterator<K> {
    this.#track();
    return super.keys();
  }

  override entries(): MapIterator<[K, V]> {
    this.#track();
    return super.entries();
  }

  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  override forEach(cb: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    this.#track();
    super.forEach(cb, thisArg);
  }

  /** Tells readers (derived values, templates) that the map changed since the last commit, once. */
  commit(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    this.#version++;
  }

  #track(): void {
    void this.#version;
  }
}
