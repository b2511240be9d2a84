import { describe, expect, it } from 'vitest';
import { burstEndingWith, diffLabel, netDiff } from './change-burst.ts';
import type { RulesetChangeRecord } from './history.ts';

const T = Date.UTC(2026, 10, 30, 15, 0, 0);
const change = (id: string, at: number, diff: Partial<RulesetChangeRecord['diff']>): RulesetChangeRecord => ({
  id,
  host: 'ftp1',
  at,
  notBefore: null,
  diff: { added: [], removed: [], moved: [], policyChanges: [], ...diff },
});

describe('ruleset change bursts', () => {
  // A profile switch as `nft flush ruleset` then `iptables-restore` shows up: everything removed, then re-added.
  const keep = '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT';
  const helper = '-t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp';
  const flush = change('1', T, {
    removed: [keep, helper],
    policyChanges: [{ family: 'ipv4', table: 'filter', chain: 'INPUT', from: 'DROP', to: 'ACCEPT' }],
  });
  const restore = change('2', T + 300, {
    added: [keep],
    policyChanges: [{ family: 'ipv4', table: 'filter', chain: 'INPUT', from: 'ACCEPT', to: 'DROP' }],
  });
  const later = change('3', T + 60_000, { added: [helper] });

  it('chains changes less than 5 s apart into one burst, ending with the one asked for', () => {
    expect(burstEndingWith([flush, restore, later], restore)).toEqual([flush, restore]);
    expect(burstEndingWith([flush, restore, later], later)).toEqual([later]);
  });

  it('nets a burst out: what came back cancels, a policy that went back and forth did not change', () => {
    const d = netDiff([flush, restore]);
    expect(d).toEqual({ added: [], removed: [helper], moved: [], policyChanges: [] });
    expect(diffLabel(d)).toBe('+0 −1 rules');
    expect(diffLabel(flush.diff)).toBe('+0 −2 rules, INPUT policy DROP→ACCEPT');
  });
});
