/**
 * Caches a pure function of a string. Rules rarely change between polls while their counters do, so a
 * steady poll finds every rule text and id here. Bounded: when `max` keys are held the cache starts over.
 */
export function memoize<T>(fn: (key: string) => T, max: number): (key: string) => T {
  let cache = new Map<string, T>();
  return (key) => {
    let v = cache.get(key);
    if (v === undefined) {
      if (cache.size >= max) cache = new Map();
      v = fn(key);
      cache.set(key, v);
    }
    return v;
  };
}
