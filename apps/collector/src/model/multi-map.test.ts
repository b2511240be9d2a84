import { describe, expect, it } from 'vitest';
import { MultiMap } from './multi-map.ts';

const v = (n: number) => ({ n });
const ns = (it: Iterable<{ n: number }>) => [...it].map((x) => x.n);

describe('MultiMap', () => {
  it('keeps values oldest first through deletes, and a key goes away with its last value', () => {
    const m = new MultiMap<string, { n: number }>();
    const [a, b, c, d] = [v(1), v(2), v(3), v(4)];
    for (const x of [a, b, c, d]) m.add('k', x);
    m.delete('k', b);
    expect(ns(m.get('k'))).toEqual([1, 3, 4]);
    m.add('k', b);
    expect(ns(m.get('k'))).toEqual([1, 3, 4, 2]);
    for (const x of [a, c, d]) m.delete('k', x);
    expect(ns(m.get('k'))).toEqual([2]);
    expect(m.has('k')).toBe(true);
    m.delete('k', b);
    expect(m.has('k')).toBe(false);
    expect(ns(m.get('k'))).toEqual([]);
    expect([...m.keys()]).toEqual([]);
  });

  it('holds a value once per key, and deleting a value it does not hold changes nothing', () => {
    const m = new MultiMap<string, { n: number }>();
    const [a, b] = [v(1), v(2)];
    m.add('k', a);
    m.add('k', a);
    expect(ns(m.get('k'))).toEqual([1]);
    m.add('k', b);
    m.add('k', b);
    m.delete('k', v(1));
    m.delete('other', a);
    expect(ns(m.get('k'))).toEqual([1, 2]);
  });

  it('finds, prunes and lists every value key by key', () => {
    const m = new MultiMap<string, { n: number }>();
    for (let i = 1; i <= 5; i++) m.add(i % 2 ? 'odd' : 'even', v(i));
    expect(m.find('odd', (x) => x.n > 1)?.n).toBe(3);
    expect(m.find('even', (x) => x.n > 9)).toBeUndefined();
    expect(m.find('none', () => true)).toBeUndefined();
    m.prune('odd', (x) => x.n < 5);
    expect(ns(m.get('odd'))).toEqual([5]);
    m.prune('even', () => true);
    expect(m.has('even')).toBe(false);
    expect(ns(m.values())).toEqual([5]);
  });

  it('removes values from among thousands under one key, the rest staying in order (sessions behind one NAT address)', () => {
    const m = new MultiMap<string, { n: number }>();
    const all = Array.from({ length: 10_000 }, (_, i) => v(i));
    for (const x of all) m.add('nat', x);
    for (const x of all) if (x.n % 100 !== 7) m.delete('nat', x);
    expect(ns(m.get('nat'))).toEqual(all.filter((x) => x.n % 100 === 7).map((x) => x.n));
  });
});
