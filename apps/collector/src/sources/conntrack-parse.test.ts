import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import { parseConntrack, parseConntrackLine } from './conntrack-parse.ts';

describe('parseConntrack (conntrack 1.4.7)', () => {
  it('reads a listing with -o id, IPv4 and IPv6, and skips the summary line', () => {
    const r = parseConntrack(fixture('conntrack/1.4.7/list-id.txt'));
    expect(r.unknown).toBe(0);
    expect(r.records.length).toBe(8);
    expect(r.records.some((x) => x.family === 'ipv6')).toBe(true);
    const ctl = r.records.find((x) => x.state === 'ESTABLISHED' && x.family === 'ipv4');
    expect(ctl).toMatchObject({
      event: null,
      at: null,
      proto: 'tcp',
      helper: 'ftp',
      assured: true,
      unreplied: false,
    });
    expect(ctl?.orig.dport).toBe(21);
    expect(ctl?.id).toMatch(/^\d+$/);
  });

  it('reads the extended format (family prefix) the same way', () => {
    const a = parseConntrack(fixture('conntrack/1.4.7/list-id.txt')).records;
    const b = parseConntrack(fixture('conntrack/1.4.7/list-extended-id.txt')).records;
    expect(b.map((x) => x.id).sort()).toEqual(a.map((x) => x.id).sort());
  });

  it('reads events with timestamps, including DESTROY lines without a timeout', () => {
    const r = parseConntrack(fixture('conntrack/1.4.7/ct-events-healthy.txt'));
    expect(r.unknown).toBe(0);
    const kinds = new Set(r.records.map((x) => x.event));
    expect(kinds).toEqual(new Set(['NEW', 'UPDATE', 'DESTROY']));
    const first = r.records[0];
    expect(first?.event).toBe('NEW');
    expect(first?.unreplied).toBe(true);
    expect(first?.at).toBeGreaterThan(1.7e12);
    const destroy = r.records.find((x) => x.event === 'DESTROY');
    expect(destroy?.state).toBe('CLOSE');
    expect(destroy?.timeout).toBe(0);
  });

  it('keeps microseconds that conntrack prints without zero padding', () => {
    const line =
      '[1795725764.35272 ]\t    [NEW] tcp      6 120 SYN_SENT src=198.18.250.2 dst=198.18.250.1 sport=1 dport=21 [UNREPLIED] src=198.18.250.1 dst=198.18.250.2 sport=21 dport=1 id=7';
    expect(parseConntrackLine(line)?.at).toBe(1795725764035);
  });

  it('reads IPv6 events of a native nftables helper', () => {
    const r = parseConntrack(fixture('conntrack/1.4.7/ct-events-nft.txt'));
    expect(r.unknown).toBe(0);
    expect(r.records.filter((x) => x.family === 'ipv6' && x.helper === 'ftp').length).toBeGreaterThan(0);
  });

  it('counts what it does not understand instead of throwing', () => {
    const r = parseConntrack('garbage\n[NEW] tcp x\nsrc=1.2.3.4\n');
    expect(r.records).toEqual([]);
    expect(r.unknown).toBe(3);
    expect(r.examples[0]).toBe('garbage');
  });
});
