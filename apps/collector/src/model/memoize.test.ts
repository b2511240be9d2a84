import { describe, expect, it } from 'vitest';
import { memoize } from './memoize.ts';

describe('memoize', () => {
  it('computes each key once, and starts over when the bound is reached', () => {
    let calls = 0;
    const len = memoize((k) => {
      calls++;
      return k.length;
    }, 2);
    expect([len('a'), len('bb'), len('a'), len('bb')]).toEqual([1, 2, 1, 2]);
    expect(calls).toBe(2);
    expect(len('ccc')).toBe(3); // third key: the cache starts over
    expect(len('a')).toBe(1);
    expect(calls).toBe(4);
  });
});
