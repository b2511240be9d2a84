import { describe, expect, it } from 'vitest';
import { ftpHelperNotAssigned } from './ftp-helper-not-assigned.ts';
import { nonstandardControlPort } from './nonstandard-control-port.ts';
import { hostWindow, NOW, ruleId, ruleset, samples, session, settings } from './window.fixture.ts';

describe('nonstandard-control-port', () => {
  const { rules } = ruleset('helper-21-listen-2121');

  it('fires, critical, when sessions on 2121 run without the helper and drops follow', () => {
    const s = session({ helper: null, server: { ip: '198.18.250.1', port: 2121 }, startedAt: NOW - 20_000 });
    const w = hostWindow('helper-21-listen-2121', {
      sessions: [s],
      settings: settings({ listenPort: 2121 }),
      counterSamples: samples(ruleId(rules, 'INPUT'), NOW - 19_000, NOW - 18_000, 1),
    });
    const [f, more] = nonstandardControlPort(w, NOW);
    expect(more).toBeUndefined();
    expect(f?.kind).toBe('nonstandard-control-port');
    expect(f?.subject).toBe('2121');
    expect(f?.severity).toBe('critical');
    expect(f?.explanation).toContain('helper rules only cover port 21');
    expect(f?.fix).toContain('iptables -t raw -A PREROUTING -p tcp --dport 2121 -j CT --helper ftp');
    expect(ftpHelperNotAssigned(w, NOW)).toEqual([]);
  });

  it('warns from the config alone, before any session', () => {
    const [f] = nonstandardControlPort(
      hostWindow('helper-21-listen-2121', { settings: settings({ listenPort: 2121 }) }),
      NOW,
    );
    expect(f?.severity).toBe('warning');
  });

  it('stays quiet when the helper rule covers the listen port', () => {
    expect(nonstandardControlPort(hostWindow('healthy'), NOW)).toEqual([]);
    expect(nonstandardControlPort(hostWindow('nft-healthy'), NOW)).toEqual([]);
  });

  it('stays quiet on a host with no helper rules at all (that is ftp-helper-not-assigned)', () => {
    expect(
      nonstandardControlPort(
        hostWindow('hardened-no-helper', { settings: settings({ listenPort: 2121 }) }),
        NOW,
      ),
    ).toEqual([]);
  });
});
