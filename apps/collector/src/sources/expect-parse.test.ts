import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import { parseExpect } from './expect-parse.ts';

describe('parseExpect (conntrack 1.4.7)', () => {
  it('reads expectation events with their master tuple, IPv4 and IPv6, passive and active', () => {
    const r = parseExpect(fixture('conntrack/1.4.7/ct-expect-events-healthy.txt'));
    expect(r.unknown).toBe(0);
    expect(r.records.length).toBeGreaterThanOrEqual(8);
    const passive = r.records.find((x) => x.event === 'NEW' && x.tuple.dst === x.master.dst);
    const active = r.records.find((x) => x.event === 'NEW' && x.tuple.dst === x.master.src);
    expect(passive?.master.dport).toBe(21);
    expect(passive?.tuple.sport).toBe(0);
    expect(active?.tuple.src).toBe(active?.master.dst);
    expect(r.records.some((x) => x.family === 'ipv6')).toBe(true);
    expect(r.records.find((x) => x.event === 'DESTROY')?.at).toBeGreaterThan(1.7e12);
  });

  it('reads `conntrack -L expect` listings', () => {
    const v4 = parseExpect(fixture('conntrack/1.4.7/list-expect.txt'));
    const v6 = parseExpect(fixture('conntrack/1.4.7/list-expect-ipv6.txt'));
    expect(v4.unknown + v6.unknown).toBe(0);
    expect(v4.records[0]).toMatchObject({ event: null, family: 'ipv4', helper: 'ftp', protonum: 6 });
    expect(v6.records[0]?.family).toBe('ipv6');
  });
});
