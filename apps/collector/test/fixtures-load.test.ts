import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logicalLines } from '../src/ftp-servers/proftpd/conf-expand.ts';
import { parseProftpdConf } from '../src/ftp-servers/proftpd/conf-parse.ts';
import { RECOMMENDED_LOG_FORMAT } from '../src/ftp-servers/proftpd/index.ts';
import { extendedLogParser } from '../src/ftp-servers/proftpd/log-parse.ts';
import { parsePureFtpdSyslog } from '../src/ftp-servers/pure-ftpd/log-parse.ts';
import { optionsFromConfFile } from '../src/ftp-servers/pure-ftpd/options-parse.ts';
import { parseSsListeners } from '../src/ftp-servers/ss-parse.ts';
import { parseVsftpdConf } from '../src/ftp-servers/vsftpd/conf-parse.ts';
import { parseFtpLog, parseLogChunk } from '../src/ftp-servers/vsftpd/log-parse.ts';
import { parseConntrack } from '../src/sources/conntrack-parse.ts';
import { parseReader } from '../src/sources/ctreader-parse.ts';
import { parseExpect } from '../src/sources/expect-parse.ts';
import { parseConntrackStats } from '../src/sources/health-parse.ts';
import { parseIptablesSave } from '../src/sources/iptables-save-parse.ts';
import { parseNftJson } from '../src/sources/nft-json-parse.ts';
import type { ParseResult } from '../src/sources/parse-result.ts';
import { parseNflog } from '../src/sources/tcpdump-nflog-parse.ts';
import { PcapReader } from '../src/trace/pcap.ts';
import { FIXTURES, fixture, fixturesOf } from './fixtures.ts';

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
  if (path.startsWith('ctreader/')) {
    // The native reader's own output, and the conntrack tool's recorded beside it on the same traffic.
    if (!name.startsWith('tool-')) return parseReader;
    return name.includes('expect') ? parseExpect : parseConntrack;
  }
  if (path.startsWith('iptables/'))
    return (t) => parseIptablesSave(t, 'iptables-nft', name.includes('save6') ? 'ipv6' : 'ipv4');
  if (path.startsWith('nft/')) return name.endsWith('.json') ? (t) => parseNftJson(t) : 'not-output';
  // Binary captures (tcpdump -w) for the trace: read by the pcap reader, checked in the test below.
  if (path.startsWith('tcpdump/') && name.endsWith('.pcap')) return 'not-output';
  if (path.startsWith('tcpdump/')) return parseNflog;
  if (path.startsWith('vsftpd/'))
    return name.endsWith('.conf') ? (t) => parseVsftpdConf(t, path) : parseFtpLog;
  if (path.startsWith('proftpd/')) {
    if (name.endsWith('-extended.log'))
      return (t) =>
        parseLogChunk(t, (l) => (extendedLogParser(RECOMMENDED_LOG_FORMAT) ?? (() => null))(l, 0));
    if (name.endsWith('xferlog')) return parseFtpLog;
    return (t) => parseProftpdConf(logicalLines(t, path), path);
  }
  if (path.startsWith('pure-ftpd/')) {
    if (name.endsWith('-syslog.log')) return (t) => parseLogChunk(t, (l) => parsePureFtpdSyslog(l, 0));
    if (name.endsWith('xferlog')) return parseFtpLog;
    // Debian's conf directory holds one value per file: read as a whole by the driver test.
    if (path.includes('/debian-conf/')) return 'not-output';
    return optionsFromConfFile;
  }
  if (path.startsWith('ss/'))
    return (t) => ({
      unknown: t.split('\n').filter((l) => l.trim() !== '').length - parseSsListeners(t).length,
    });
  throw new Error(`no parser for fixture ${path}`);
}

describe('every recorded fixture loads and parses without unknown lines', () => {
  const files = [
    'conntrack',
    'ctreader',
    'iptables',
    'nft',
    'tcpdump',
    'vsftpd',
    'proftpd',
    'pure-ftpd',
    'ss',
  ].flatMap(fixturesOf);
  it('has recordings of every tool', () => {
    expect(files.length).toBeGreaterThan(25);
  });
  for (const f of files) {
    it(f, () => {
      const text = fixture(f);
      const parse = parserFor(f);
      if (f.endsWith('.pcap')) {
        const reader = new PcapReader();
        expect(reader.push(readFileSync(join(FIXTURES, f))).length).toBeGreaterThan(0);
        return;
      }
      if (parse === 'not-output') {
        expect(text.length).toBeGreaterThan(0);
        return;
      }
      expect(parse(text).unknown).toBe(0);
    });
  }
});
