import { describe, expect, it } from 'vitest';
import * as addr from './addressing.ts';

/** 198.18.0.0/15 = 198.18.0.0 - 198.19.255.255 (RFC 2544 benchmarking). */
const inBenchmarkRange = (ip: string) =>
  /^198\.1[89]\.\d{1,3}\.\d{1,3}$/.test(ip) && ip.split('.').every((o) => Number(o) <= 255);

describe('addressing', () => {
  it('keeps every address of the largest lab inside 198.18.0.0/15 and distinct', () => {
    const n = addr.MAX_INDEX;
    const ips = [addr.clientIp(n)];
    for (let i = 1; i <= addr.MAX_HOSTS; i++) {
      ips.push(addr.hostIp(n, i), addr.mgmtGatewayIp(n, i), addr.mgmtHostIp(n, i));
    }
    for (const ip of ips) expect(inBenchmarkRange(ip), ip).toBe(true);
    expect(new Set(ips).size).toBe(ips.length);
  });

  it('keeps root-namespace interface names within the kernel limit of 15 characters', () => {
    expect(addr.mgmtLinkName('abcdefgh', addr.MAX_HOSTS).length).toBeLessThanOrEqual(15);
  });

  it('puts IPv6 addresses in the RFC 5180 benchmarking prefix 2001:2::/48', () => {
    expect(addr.hostIp6(250, 50)).toBe('2001:2:0:250::60');
    expect(addr.lanNet6(7)).toBe('2001:2:0:7::/64');
  });

  it('gives hosts disjoint passive ranges', () => {
    const [a0, a1] = addr.passiveRange(1);
    const [b0] = addr.passiveRange(2);
    expect(a1).toBeLessThan(b0);
    expect(a0).toBeGreaterThan(1023);
  });

  it('sees an index as used when the root namespace holds one of its addresses', () => {
    const out = '5: fs-x-m1    inet 198.19.7.5/30 scope global fs-x-m1';
    expect(addr.indexInUse(out, 7)).toBe(true);
    expect(addr.indexInUse(out, 8)).toBe(false);
  });
});
