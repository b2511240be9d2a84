import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import { tablesIn } from './iptables-save-parse.ts';
import { parseNftJson } from './nft-json-parse.ts';

describe('parseNftJson (nftables 1.0.6)', () => {
  it('reads native tables: policies without counters, comments, ct helper with its ports, log group', () => {
    const r = parseNftJson(fixture('nft/1.0.6/native-healthy.json'));
    expect(r.unknown).toBe(0);
    const policy = r.records.find((x) => x.isPolicy && x.chain === 'input');
    expect(policy).toMatchObject({ family: 'inet', verdict: 'drop', packets: null, position: 0 });
    const helper = r.records.find((x) => x.helper !== null);
    expect(helper).toMatchObject({
      chain: 'pre',
      comment: 'assign ftp helper',
      helper: { name: 'ftp', ports: [21] },
    });
    expect(r.records.find((x) => x.comment === 'ftp control')).toMatchObject({
      verdict: 'accept',
      text: 'tcp dport 21 ct state new accept',
    });
    expect(r.records.find((x) => x.nflogGroup === 7)).toMatchObject({
      nflogPrefix: 'nft drop ',
      verdict: 'other',
    });
    expect(r.records.find((x) => x.text.startsWith('ct state'))?.packets).toBeGreaterThan(0);
  });

  it('skips the tables iptables-nft manages and keeps the native one', () => {
    const skip = new Set([
      ...tablesIn(fixture('iptables/1.8.9/nft-healthy-save.txt')).map((t) => `ip:${t}`),
      ...tablesIn(fixture('iptables/1.8.9/nft-healthy-save6.txt')).map((t) => `ip6:${t}`),
    ]);
    const r = parseNftJson(fixture('nft/1.0.6/mixed-iptables-nft.json'), skip);
    expect(r.unknown).toBe(0);
    expect(new Set(r.records.map((x) => x.table))).toEqual(new Set(['fsrec_native']));
    // Without the list, the xt expressions alone give iptables-nft's tables away.
    const byXt = parseNftJson(fixture('nft/1.0.6/mixed-iptables-nft.json'));
    expect(byXt.records.some((x) => x.table === 'filter')).toBe(false);
  });

  it('counts invalid JSON as unknown', () => {
    expect(parseNftJson('{not json').unknown).toBe(1);
    expect(parseNftJson('{"x":1}').unknown).toBe(1);
  });
});
