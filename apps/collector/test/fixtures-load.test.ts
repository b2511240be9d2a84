import { describe, expect, it } from 'vitest';
import { parseConntrack } from '../src/sources/conntrack-parse.ts';
import { parseExpect } from '../src/sources/expect-parse.ts';
import { parseConntrackStats } from '../src/sources/health-parse.ts';
import { parseIptablesSave } from '../src/sources/iptables-save-parse.ts';
import { parseNftJson } from '../src/sources/nft-json-parse.ts';
import type { ParseResult } from '../src/sources/parse-result.ts';
import { parseNflog } from '../src/sources/tcpdump-nflog-parse.ts';
import { parseVsftpdConf } from '../src/sources/vsftpd-conf-parse.ts';
import { parseFtpLog } from '../src/sources/vsftpd-log-parse.ts';
import { fixture, fixturesOf } from './fixtures.ts';

/** Which parser reads each fixture; files not covered here make the test fail, so new recordings get a parser. */
function parserFor(path: string): ((text: string) => Pick<ParseResult<unknown>, 'unknown'>) | 'not-output' {
  const name = path.split('/').pop() as string;
  if (path.startsWith('conntrack/')) {
    // conntrack -C (a bare number, read via /proc instead), its stderr (ENOBUFS, unprivileged) and XML are not parsed.
    if (name.endsWith('-stderr.txt') || name.startsWith('count')) return 'not-output';
    if (name.includes('expect')) return parseExpect;
    if (name === 'stats.txt') return parseConntrackStats;
    if (name === 'list-xml-id.txt') return 'not-output';
    return parseConntrack;
  }
  if (path.startsWith('iptables/'))
    return (t) => parseIptablesSave(t, 'iptables-nft', name.includes('save6') ? 'ipv6' : 'ipv4');
  if (path.startsWith('nft/')) return name.endsWith('.json') ? (t) => parseNftJson(t) : 'not-output';
  if (path.startsWith('tcpdump/')) return parseNflog;
  if (path.startsWith('vsftpd/'))
    return name.endsWith('.conf') ? (t) => parseVsftpdConf(t, path) : parseFtpLog;
  throw new Error(`no parser for fixture ${path}`);
}

describe('every recorded fixture loads and parses without unknown lines', () => {
  const files = ['conntrack', 'iptables', 'nft', 'tcpdump', 'vsftpd'].flatMap(fixturesOf);
  it('has recordings of every tool', () => {
    expect(files.length).toBeGreaterThan(25);
  });
  for (const f of files) {
    it(f, () => {
      const text = fixture(f);
      const parse = parserFor(f);
      if (parse === 'not-output') {
        expect(text.length).toBeGreaterThan(0);
        return;
      }
      expect(parse(text).unknown).toBe(0);
    });
  }
});
