import { describe, expect, it } from 'vitest';
import { ftpHelperNotAssigned } from './ftp-helper-not-assigned.ts';
import { helperBlindTls } from './helper-blind-tls.ts';
import {
  drop,
  goodPassive,
  hostWindow,
  NOW,
  ruleId,
  ruleset,
  samples,
  session,
  settings,
} from './window.fixture.ts';

describe('helper-blind-tls', () => {
  const { rules } = ruleset('healthy');
  const policy = ruleId(rules, 'INPUT');

  it('fires for TLS sessions with the helper but no expectation while passive SYNs are dropped', () => {
    const s = session({ tls: true, startedAt: NOW - 20_000 });
    const w = hostWindow('healthy', {
      sessions: [s],
      settings: settings({ tls: true }),
      counterSamples: samples(policy, NOW - 18_000, NOW - 15_000, 1),
      drops: [drop(NOW - 18_000)],
    });
    const [f] = helperBlindTls(w, NOW);
    expect(f?.kind).toBe('helper-blind-tls');
    expect(f?.explanation).toContain('negotiated TLS');
    expect(f?.fix.slice(0, -1)).toEqual([
      'iptables -I INPUT -p tcp --dport 40000:40100 -m conntrack --ctstate NEW -j ACCEPT',
    ]);
    expect(ftpHelperNotAssigned(w, NOW)).toEqual([]);
  });

  it('stays quiet for TLS-enabled servers whose sessions still produce expectations (plain FTP clients)', () => {
    const s = session({ startedAt: NOW - 20_000 });
    const { e, d } = goodPassive(s);
    const w = hostWindow('healthy', {
      sessions: [s],
      expectations: [e],
      dataConnections: [d],
      settings: settings({ tls: true }),
      counterSamples: samples(policy, NOW - 18_000, NOW, 1),
    });
    expect(helperBlindTls(w, NOW)).toEqual([]);
  });

  it('stays quiet for TLS sessions when the passive range is opened explicitly', () => {
    const { rules: open } = ruleset('pasv-open');
    const s = session({ tls: true, startedAt: NOW - 20_000 });
    const w = hostWindow('pasv-open', {
      sessions: [s],
      counterSamples: samples(ruleId(open, 'INPUT'), NOW - 18_000, NOW, 1),
    });
    expect(helperBlindTls(w, NOW)).toEqual([]);
  });
});
