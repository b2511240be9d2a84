import { describe, expect, it } from 'vitest';
import { ftpHelperNotAssigned } from './ftp-helper-not-assigned.ts';
import { helperIpv4Only } from './helper-ipv4-only.ts';
import { goodPassive, hostWindow, NOW, ruleId, ruleset, samples, session } from './window.fixture.ts';

describe('helper-ipv4-only', () => {
  const { rules } = ruleset('helper-v4-only');
  const policy6 = ruleId(rules, 'INPUT', 'ipv6');

  it('fires when IPv6 sessions lack the helper that IPv4 sessions have and the ip6 INPUT policy drops', () => {
    const v4 = session({ startedAt: NOW - 30_000 });
    const v6 = session({ family: 'ipv6', helper: null, startedAt: NOW - 20_000 });
    const { e, d } = goodPassive(v4);
    const w = hostWindow('helper-v4-only', {
      sessions: [v4, v6],
      expectations: [e],
      dataConnections: [d],
      counterSamples: samples(policy6, NOW - 19_000, NOW - 17_000, 1),
    });
    const [f] = helperIpv4Only(w, NOW);
    expect(f?.kind).toBe('helper-ipv4-only');
    expect(f?.explanation).toContain('1 IPv6 control session');
    expect(f?.fix).toContain('ip6tables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp');
    expect(ftpHelperNotAssigned(w, NOW)).toEqual([]);
  });

  it('stays quiet when ip6tables has the helper rule too (healthy with IPv6)', () => {
    const { rules: healthy } = ruleset('healthy');
    const v6 = session({ family: 'ipv6' });
    const { e, d } = goodPassive(v6);
    const w = hostWindow('healthy', {
      sessions: [v6],
      expectations: [e],
      dataConnections: [d],
      counterSamples: samples(ruleId(healthy, 'INPUT', 'ipv6'), NOW - 19_000, NOW, 1),
    });
    expect(helperIpv4Only(w, NOW)).toEqual([]);
  });

  it('stays quiet when IPv6 data channels do not fail', () => {
    const v6 = session({ family: 'ipv6', helper: null, startedAt: NOW - 20_000 });
    expect(helperIpv4Only(hostWindow('helper-v4-only', { sessions: [v6] }), NOW)).toEqual([]);
  });
});
