import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { observeScript } from './observe-table.ts';

const docs = readFileSync(new URL('../../../../docs/firewall-managers.md', import.meta.url), 'utf8');

describe('the observation table', () => {
  it('is documented exactly as it is loaded, with and without a passive range in the settings', () => {
    expect(docs).toContain(observeScript([21], [40000, 40100]));
    // Without a range the docs name the rules' one difference.
    expect(observeScript([21])).toContain(
      'tcp dport >= 1024 tcp dport != @ftp_ports ct state new ip saddr @clients4',
    );
    expect(docs).toContain('`tcp dport >= 1024 tcp dport != @ftp_ports`');
  });

  it('traces only the passive range when the settings give one', () => {
    const s = observeScript([21], [40000, 40100]);
    expect(s).toContain(
      'tcp flags & (syn | ack) == syn tcp dport 40000-40100 ct state new ip saddr @clients4',
    );
    expect(s).not.toContain('tcp dport != @ftp_ports ct state new ip saddr');
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

describe('loading the observation table is no ruleset change', () => {
  it('nft monitor lines about table inet ftpscope do not count', async () => {
    const { isRulesetChangeLine } = await import('./nft-monitor.ts');
    expect(isRulesetChangeLine('add table inet ftpscope')).toBe(false);
    expect(
      isRulesetChangeLine(
        'add rule inet ftpscope learn_and_trace_in tcp dport @ftp_ports update @clients4 { ip saddr }',
      ),
    ).toBe(false);
    expect(isRulesetChangeLine('delete table inet ftpscope')).toBe(false);
    expect(isRulesetChangeLine('add rule inet firewalld filter_IN_public_allow tcp dport 21 accept')).toBe(
      true,
    );
    expect(isRulesetChangeLine('add table inet ftpscope_lab')).toBe(true);
  });
});
