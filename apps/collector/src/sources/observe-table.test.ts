import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { observeScript } from './observe-table.ts';

const docs = readFileSync(new URL('../../../../docs/firewall-managers.md', import.meta.url), 'utf8');

describe('the observation table', () => {
  it('is documented exactly as it is loaded', () => {
    expect(docs).toContain(observeScript([21]));
  });

  it('never gives a verdict: no accept/drop/reject/jump/goto statement, chains with policy accept only', () => {
    const rules = observeScript([21, 2121])
      .split('\n')
      .filter((l) => !/^\s*(type filter hook|set |limit |table |delete table|chain |\}|$)/.test(l));
    expect(rules.length).toBe(6);
    for (const r of rules) expect(r).not.toMatch(/\b(accept|drop|reject|jump|goto|queue|return)\b/);
    expect(observeScript([21]).match(/policy (\w+)/g)).toEqual(['policy accept', 'policy accept']);
  });

  it('replaces a stale copy in the same transaction and watches every control port', () => {
    const s = observeScript([2121, 21, 21]);
    expect(s.split('\n').slice(0, 3)).toEqual([
      'table inet ftpscope',
      'delete table inet ftpscope',
      'table inet ftpscope {',
    ]);
    expect(s).toContain('elements = { 21, 2121 }');
  });
});
