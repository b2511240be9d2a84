import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import { parseNflog } from './tcpdump-nflog-parse.ts';

describe('parseNflog (tcpdump 4.99.3)', () => {
  it('reads dropped SYNs, IPv4 and IPv6', () => {
    const r = parseNflog(fixture('tcpdump/4.99.3/nflog-drops.txt'));
    expect(r.unknown).toBe(0);
    const v4 = r.records.find((x) => !x.src.includes(':'));
    const v6 = r.records.find((x) => x.src.includes(':'));
    expect(v4).toMatchObject({ proto: 'tcp', src: '198.18.250.2', dst: '198.18.250.1', flags: 'S' });
    expect(v4?.dport).toBeGreaterThanOrEqual(40000);
    expect(v6).toMatchObject({ proto: 'tcp', src: '2001:2:0:250::2', dst: '2001:2:0:250::1', flags: 'S' });
    expect(v6?.sport).toBeGreaterThan(1023);
    expect(v4?.at).toBeGreaterThan(1.7e12);
  });

  it("treats tcpdump's own status lines as known", () => {
    const r = parseNflog(fixture('tcpdump/4.99.3/nflog-stderr.txt'));
    expect(r.unknown).toBe(0);
    expect(r.records).toEqual([]);
  });
});
