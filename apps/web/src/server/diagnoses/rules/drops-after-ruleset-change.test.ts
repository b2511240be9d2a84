import { describe, expect, it } from 'vitest';
import { dropsAfterRulesetChange } from './drops-after-ruleset-change.ts';
import { hostWindow, NOW, ruleId, ruleset, samples } from './window.fixture.ts';

const { rules } = ruleset('hardened-no-helper');
const policy = ruleId(rules, 'INPUT');
const change = {
  id: String(NOW - 30_000),
  at: NOW - 30_000,
  diff: {
    added: ['-A INPUT -i lo -j ACCEPT', '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT'],
    removed: [
      '-A INPUT -m conntrack --ctstate INVALID -m comment --comment "lab: enables conntrack, counts invalid packets"',
    ],
    moved: [],
    policyChanges: [{ family: 'ipv4', table: 'filter', chain: 'INPUT', from: 'ACCEPT', to: 'DROP' }],
  },
};

describe('drops-after-ruleset-change', () => {
  it('names the change and its diff when the INPUT policy starts dropping after it', () => {
    const w = hostWindow('hardened-no-helper', {
      countersSince: NOW - 120_000,
      rulesetChanges: [change],
      counterSamples: samples(policy, NOW - 20_000, NOW - 10_000, 1),
    });
    const [f] = dropsAfterRulesetChange(w, NOW);
    expect(f?.kind).toBe('drops-after-ruleset-change');
    expect(f?.subject).toBe(change.id);
    expect(f?.explanation).toContain('policy INPUT ACCEPT→DROP');
    expect(f?.explanation).toContain('11 packets in 30 s after, 0 in 90 s before');
    expect(f?.evidence[0]).toMatchObject({ type: 'change', id: change.id });
  });

  it('treats a flush followed by the new rules as one change, reported once', () => {
    const flush = { id: String(NOW - 31_000), at: NOW - 31_000, diff: { ...change.diff, added: [] } };
    const w = hostWindow('hardened-no-helper', {
      countersSince: NOW - 120_000,
      rulesetChanges: [flush, change],
      counterSamples: samples(policy, NOW - 20_000, NOW - 10_000, 1),
    });
    expect(dropsAfterRulesetChange(w, NOW).map((f) => f.subject)).toEqual([change.id]);
  });

  it('stays quiet when the rate did not change (steady scanner drops)', () => {
    const w = hostWindow('hardened-no-helper', {
      countersSince: NOW - 120_000,
      rulesetChanges: [{ ...change, diff: { ...change.diff, policyChanges: [] } }],
      counterSamples: samples(policy, NOW - 120_000, NOW, 1),
    });
    expect(dropsAfterRulesetChange(w, NOW)).toEqual([]);
  });

  it('stays quiet without a baseline before the change (collector connected at the change)', () => {
    const w = hostWindow('hardened-no-helper', {
      countersSince: NOW - 31_000,
      rulesetChanges: [change],
      counterSamples: samples(policy, NOW - 20_000, NOW, 1),
    });
    expect(dropsAfterRulesetChange(w, NOW)).toEqual([]);
  });

  it('resolves when the drops stopped more than a minute ago', () => {
    const w = hostWindow('hardened-no-helper', {
      countersSince: NOW - 300_000,
      rulesetChanges: [{ ...change, at: NOW - 200_000, id: 'c1' }],
      counterSamples: samples(policy, NOW - 190_000, NOW - 65_000, 1),
    });
    expect(dropsAfterRulesetChange(w, NOW)).toEqual([]);
  });
});
