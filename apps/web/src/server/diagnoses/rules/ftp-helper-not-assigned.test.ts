import { describe, expect, it } from 'vitest';
import { ftpHelperNotAssigned } from './ftp-helper-not-assigned.ts';
import {
  data,
  drop,
  goodPassive,
  hostWindow,
  NOW,
  ruleId,
  ruleset,
  samples,
  session,
} from './window.fixture.ts';

describe('ftp-helper-not-assigned', () => {
  it('fires when helper-less sessions meet INPUT policy drops (hardened-no-helper, iptables-nft)', () => {
    const { rules } = ruleset('hardened-no-helper');
    const policy = ruleId(rules, 'INPUT');
    const s = session({ helper: null, mode: 'unknown', startedAt: NOW - 20_000 });
    const w = hostWindow('hardened-no-helper', {
      sessions: [s],
      counterSamples: samples(policy, NOW - 15_000, NOW - 12_000, 1),
    });
    const [f] = ftpHelperNotAssigned(w, NOW);
    expect(f?.kind).toBe('ftp-helper-not-assigned');
    expect(f?.severity).toBe('critical');
    expect(f?.explanation).toContain('4 packets on INPUT policy DROP');
    expect(f?.evidence.map((e) => e.id)).toEqual(expect.arrayContaining([s.id, policy]));
    expect(f?.fix).toContain('iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp');
  });

  it('names the NFLOG drops and writes the legacy fix on an iptables-legacy host', () => {
    const s = session({ helper: null, startedAt: NOW - 20_000 });
    const w = hostWindow('legacy-no-helper-nflog', {
      backends: ['iptables-legacy'],
      sessions: [s],
      drops: [drop(NOW - 14_000), drop(NOW - 13_000)],
    });
    const [f] = ftpHelperNotAssigned(w, NOW);
    expect(f?.explanation).toContain('2 dropped data packets');
    expect(f?.evidence.filter((e) => e.type === 'drop')).toHaveLength(2);
    expect(f?.fix[0]).toBe('iptables-legacy -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp');
  });

  it('writes an nftables ct helper fix in the host table when the host uses native nftables', () => {
    const s = session({ helper: null, startedAt: NOW - 20_000 });
    const failed = data(s, null, { established: false, state: 'SYN_SENT', startedAt: NOW - 10_000 });
    const w = hostWindow('nft-no-helper', { sessions: [s], dataConnections: [failed] });
    const [f] = ftpHelperNotAssigned(w, NOW);
    expect(f?.fix.slice(0, -1)).toEqual([
      `nft add ct helper inet ftpscope_lab ftp-standard '{ type "ftp" protocol tcp; }'`,
      `nft add rule inet ftpscope_lab prerouting tcp dport 21 ct helper set '"ftp-standard"'`,
    ]);
  });

  it('stays quiet without a failure (open profile: no drops)', () => {
    const s = session({ helper: null, startedAt: NOW - 20_000 });
    expect(ftpHelperNotAssigned(hostWindow('open', { sessions: [s] }), NOW)).toEqual([]);
  });

  it('stays quiet when the helper is assigned, even with policy drops (healthy host under scans)', () => {
    const { rules } = ruleset('healthy');
    const s = session();
    const { e, d } = goodPassive(s);
    const w = hostWindow('healthy', {
      sessions: [s],
      expectations: [e],
      dataConnections: [d],
      counterSamples: samples(ruleId(rules, 'INPUT'), NOW - 30_000, NOW, 2),
    });
    expect(ftpHelperNotAssigned(w, NOW)).toEqual([]);
  });

  it('stays quiet when the passive range is opened explicitly (no helper needed)', () => {
    const { rules } = ruleset('pasv-open');
    const s = session({ helper: null, startedAt: NOW - 20_000 });
    const w = hostWindow('pasv-open', {
      sessions: [s],
      counterSamples: samples(ruleId(rules, 'INPUT'), NOW - 5000, NOW, 1),
    });
    expect(ftpHelperNotAssigned(w, NOW)).toEqual([]);
  });

  it('resolves once the drops are older than the window', () => {
    const { rules } = ruleset('hardened-no-helper');
    const s = session({ helper: null, startedAt: NOW - 200_000 });
    const w = hostWindow('hardened-no-helper', {
      sessions: [s],
      counterSamples: samples(ruleId(rules, 'INPUT'), NOW - 90_000, NOW - 70_000, 1),
    });
    expect(ftpHelperNotAssigned(w, NOW)).toEqual([]);
  });
});
