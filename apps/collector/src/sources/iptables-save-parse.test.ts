import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import { parseIptablesSave, tokenize } from './iptables-save-parse.ts';

describe('parseIptablesSave (iptables 1.8.9)', () => {
  it('reads the nft backend with comments, escaped quotes, counters and policies', () => {
    const r = parseIptablesSave(fixture('iptables/1.8.9/nft-healthy-save.txt'), 'iptables-nft', 'ipv4');
    expect(r.unknown).toBe(0);
    const input = r.records.find((x) => x.isPolicy && x.table === 'filter' && x.chain === 'INPUT');
    expect(input).toMatchObject({ position: 0, verdict: 'drop', text: ':INPUT DROP' });
    expect(input?.packets).toBeGreaterThan(0);
    const est = r.records.find((x) => x.text.includes('RELATED,ESTABLISHED'));
    expect(est?.comment).toBe('established "and" related');
    expect(est?.verdict).toBe('accept');
    const helper = r.records.find((x) => x.helper !== null);
    expect(helper).toMatchObject({
      table: 'raw',
      chain: 'PREROUTING',
      helper: { name: 'ftp', ports: [21] },
      comment: 'ftp helper',
    });
    expect(r.records.find((x) => x.text.includes('--dport 22'))?.verdict).toBe('reject');
    expect(r.records.filter((x) => x.chain === 'INPUT' && !x.isPolicy).map((x) => x.position)).toEqual([
      1, 2, 3, 4, 5,
    ]);
  });

  it('reads the legacy backend, IPv4 and IPv6, with an NFLOG rule and its quoted prefix', () => {
    for (const [file, family] of [
      ['legacy-nohelper-save.txt', 'ipv4'],
      ['legacy-nohelper-save6.txt', 'ipv6'],
    ] as const) {
      const r = parseIptablesSave(fixture(`iptables/1.8.9/${file}`), 'iptables-legacy', family);
      expect(r.unknown).toBe(0);
      const nflog = r.records.find((x) => x.nflogGroup !== null);
      expect(nflog).toMatchObject({ nflogGroup: 5, nflogPrefix: 'policy drop', verdict: 'other', family });
      expect(nflog?.packets).toBeGreaterThan(0);
      expect(r.records.find((x) => x.comment === 'ftp control')?.verdict).toBe('accept');
    }
  });

  it('reads an empty save as no rules', () => {
    expect(
      parseIptablesSave(fixture('iptables/1.8.9/nft-empty-save.txt'), 'iptables-nft', 'ipv4').records,
    ).toEqual([]);
  });

  it('tokenizes quoted words with escapes', () => {
    expect(tokenize('-m comment --comment "a \\"b\\" c" -j ACCEPT')).toEqual([
      '-m',
      'comment',
      '--comment',
      'a "b" c',
      '-j',
      'ACCEPT',
    ]);
  });

  it('counts lines outside a table and unparseable lines', () => {
    const r = parseIptablesSave('-A INPUT -j ACCEPT\n*filter\nnonsense\nCOMMIT\n', 'iptables-nft', 'ipv4');
    expect(r.unknown).toBe(2);
  });
});
