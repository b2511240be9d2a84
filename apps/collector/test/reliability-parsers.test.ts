import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logicalLines } from '../src/ftp-servers/proftpd/conf-expand.ts';
import { parseProftpdConf } from '../src/ftp-servers/proftpd/conf-parse.ts';
import { RECOMMENDED_LOG_FORMAT } from '../src/ftp-servers/proftpd/index.ts';
import { extendedLogParser } from '../src/ftp-servers/proftpd/log-parse.ts';
import { parsePureFtpdSyslog } from '../src/ftp-servers/pure-ftpd/log-parse.ts';
import { optionsFromConfFile } from '../src/ftp-servers/pure-ftpd/options-parse.ts';
import { parseVsftpdConf } from '../src/ftp-servers/vsftpd/conf-parse.ts';
import { parseFtpLog, parseLogChunk } from '../src/ftp-servers/vsftpd/log-parse.ts';
import { parseConntrack } from '../src/sources/conntrack-parse.ts';
import { parseExpect } from '../src/sources/expect-parse.ts';
import { parseIptablesSave } from '../src/sources/iptables-save-parse.ts';
import { parseNftJson } from '../src/sources/nft-json-parse.ts';
import { parseNflog } from '../src/sources/tcpdump-nflog-parse.ts';
import { fixture } from './fixtures.ts';

/**
 * Complements src/sources/parsers-fuzz.test.ts (mutated real lines): hostile input the kernel tools never print
 * — any unicode, binary, NUL, huge lines — and a guard that every parser module stays in that fuzz suite.
 */
const SOURCES = join(import.meta.dirname, '../src/sources');
const FTP_SERVERS = join(import.meta.dirname, '../src/ftp-servers');

type Parse = (text: string) => { unknown: number };
const LINE_PARSERS: [string, Parse, string][] = [
  ['conntrack', parseConntrack, 'conntrack/1.4.7/ct-events-healthy.txt'],
  ['conntrack expectations', parseExpect, 'conntrack/1.4.7/ct-expect-events-healthy.txt'],
  [
    'iptables-save',
    (t) => parseIptablesSave(t, 'iptables-nft', 'ipv4'),
    'iptables/1.8.9/legacy-nohelper-save.txt',
  ],
  ['tcpdump NFLOG', parseNflog, 'tcpdump/4.99.3/nflog-drops.txt'],
  ['vsftpd config', (t) => parseVsftpdConf(t, 'vsftpd.conf'), 'vsftpd/3.0.3/vsftpd.conf'],
  ['vsftpd log', parseFtpLog, 'vsftpd/3.0.3/vsftpd.log'],
  [
    'ProFTPD ExtendedLog',
    (t) => parseLogChunk(t, (l) => (extendedLogParser(RECOMMENDED_LOG_FORMAT) ?? (() => null))(l, 0)),
    'proftpd/1.3.8/lab-proftpd-extended.log',
  ],
  // A trailing backslash joins the next line to this one in proftpd.conf (as ProFTPD reads it), so the hostile
  // lines below never end in one for this parser: two physical lines would rightly be one line it does not know.
  ['ProFTPD config', (t) => parseProftpdConf(logicalLines(t, 'x'), 'x'), 'proftpd/1.3.8/lab-proftpd.conf'],
  [
    'Pure-FTPd syslog',
    (t) => parseLogChunk(t, (l) => parsePureFtpdSyslog(l, 0)),
    'pure-ftpd/1.0.50/lab-pure-ftpd-syslog.log',
  ],
  ['Pure-FTPd config', optionsFromConfFile, 'pure-ftpd/1.0.50/lab-pure-ftpd.conf'],
];

/** Lines no tool prints: they start with a control character, then anything (any unicode, NUL, binary). */
const alienLine = fc
  .tuple(
    fc.constantFrom('\u0001', '\u0002', '\u0007', '\u001b'),
    fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })),
  )
  .map(([c, s]) => (c + s).replace(/[\r\n]/g, ' '));

describe('parsers under hostile input', () => {
  it('promise: every parser module is in the fast-check fuzz suite', () => {
    const fuzz = readFileSync(join(SOURCES, 'parsers-fuzz.test.ts'), 'utf8');
    const modules = [
      ...readdirSync(SOURCES)
        .filter((f) => f.endsWith('-parse.ts'))
        .map((f) => `./${f}`),
      ...(readdirSync(FTP_SERVERS, { recursive: true }) as string[])
        .filter((f) => f.endsWith('-parse.ts'))
        .map((f) => `../ftp-servers/${f}`),
    ];
    expect(modules.length).toBeGreaterThanOrEqual(14);
    for (const m of modules) expect(fuzz, `${m} is not fuzzed`).toContain(`from '${m}'`);
  });

  for (const [name, parse, sample] of LINE_PARSERS) {
    it(`promise: ${name} parser never throws on any unicode/binary input and counts each line it does not understand`, () => {
      const real = fixture(sample);
      const base = parse(real).unknown;
      fc.assert(
        fc.property(fc.array(alienLine, { minLength: 1, maxLength: 8 }), (generated) => {
          const lines =
            name === 'ProFTPD config' ? generated.map((l) => l.replace(/[\\\s]+$/, '')) : generated;
          const r = parse(`${real}\n${lines.join('\n')}\n`);
          expect(r.unknown).toBe(base + lines.length);
        }),
        { numRuns: 200 },
      );
    });

    it(`promise: ${name} parser stays fast on a 1 MB line (no catastrophic regex)`, () => {
      for (const line of [
        'a'.repeat(1_000_000),
        `src=${'1.'.repeat(300_000)}`,
        ' ='.repeat(500_000),
        '"\\'.repeat(300_000),
      ]) {
        const t0 = performance.now();
        const r = parse(line);
        expect(performance.now() - t0).toBeLessThan(1000);
        expect(r.unknown).toBeGreaterThanOrEqual(0);
      }
    });
  }

  it('promise: nft JSON parser never throws on any JSON-ish or binary input and counts a bad document as unknown', () => {
    const valid = fixture('nft/1.0.6/native-healthy.json');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.tuple(fc.nat(valid.length), fc.string()).map(([i, s]) => valid.slice(0, i) + s),
        ),
        (text) => {
          const r = parseNftJson(text);
          expect(r.unknown).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 500 },
    );
    expect(parseNftJson('\u0001not json').unknown).toBe(1);
    expect(parseNftJson('{"nftables": 42}').unknown).toBeGreaterThanOrEqual(1);
  });
});
