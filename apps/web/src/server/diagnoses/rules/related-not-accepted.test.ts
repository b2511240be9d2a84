import { describe, expect, it } from 'vitest';
import { expectationsUnused } from './expectations-unused.ts';
import { relatedNotAccepted } from './related-not-accepted.ts';
import {
  expectation,
  goodPassive,
  hostWindow,
  NOW,
  ruleId,
  ruleset,
  samples,
  session,
} from './window.fixture.ts';

describe('related-not-accepted', () => {
  const { rules } = ruleset('no-related');
  const policy = ruleId(rules, 'INPUT');

  it('fires when expectations end unused while the INPUT policy drops and only ESTABLISHED is accepted', () => {
    const s = session({ startedAt: NOW - 20_000 });
    // The kernel unlinks the expectation at the first SYN; the SYN is then dropped: DESTROY unfulfilled.
    const e = expectation(s, { createdAt: NOW - 19_000, expiredAt: NOW - 19_000 + 2 });
    const w = hostWindow('no-related', {
      sessions: [s],
      expectations: [e],
      counterSamples: samples(policy, NOW - 19_000, NOW - 12_000, 1),
    });
    const [f] = relatedNotAccepted(w, NOW);
    expect(f?.kind).toBe('related-not-accepted');
    expect(f?.explanation).toContain('8 packets were dropped');
    expect(f?.evidence.map((x) => x.id)).toEqual(expect.arrayContaining([e.id, policy]));
    expect(f?.fix.slice(0, -1)).toEqual([
      'iptables -I INPUT 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ]);
    // The same window is not also "expectations unused": drops explain it.
    expect(expectationsUnused(w, NOW)).toEqual([]);
  });

  it('stays quiet when RELATED is accepted (healthy) even if one expectation went unused', () => {
    const { rules: healthy } = ruleset('healthy');
    const s = session({ startedAt: NOW - 20_000 });
    const e = expectation(s, { createdAt: NOW - 19_000, expiredAt: NOW - 19_000 + 2 });
    const w = hostWindow('healthy', {
      sessions: [s],
      expectations: [e],
      counterSamples: samples(ruleId(healthy, 'INPUT'), NOW - 19_000, NOW, 1),
    });
    expect(relatedNotAccepted(w, NOW)).toEqual([]);
  });

  it('stays quiet when expectations were used (active mode works under no-related)', () => {
    const s = session({ mode: 'active', startedAt: NOW - 20_000 });
    const e = expectation(s, { mode: 'active', createdAt: NOW - 19_000, fulfilledAt: NOW - 19_000 + 3 });
    const w = hostWindow('no-related', {
      sessions: [s],
      expectations: [e],
      counterSamples: samples(policy, NOW - 19_000, NOW, 1),
    });
    expect(relatedNotAccepted(w, NOW)).toEqual([]);
  });

  it('stays quiet without drops', () => {
    const s = session({ startedAt: NOW - 20_000 });
    const { e, d } = goodPassive(s);
    expect(
      relatedNotAccepted(
        hostWindow('no-related', { sessions: [s], expectations: [e], dataConnections: [d] }),
        NOW,
      ),
    ).toEqual([]);
  });
});
