import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import { logicalLines } from '../ftp-servers/proftpd/conf-expand.ts';
import { parseProftpdConf } from '../ftp-servers/proftpd/conf-parse.ts';
import { RECOMMENDED_LOG_FORMAT } from '../ftp-servers/proftpd/index.ts';
import { extendedLogParser } from '../ftp-servers/proftpd/log-parse.ts';
import { parsePureFtpdClf, parsePureFtpdSyslog } from '../ftp-servers/pure-ftpd/log-parse.ts';
import {
  optionsFromArgv,
  optionsFromConfFile,
  settingsFromOptions,
} from '../ftp-servers/pure-ftpd/options-parse.ts';
import { parseSsListeners } from '../ftp-servers/ss-parse.ts';
import { parseSyslogLine } from '../ftp-servers/syslog-parse.ts';
import { parseVsftpdConf } from '../ftp-servers/vsftpd/conf-parse.ts';
import { parseFtpLog, parseLogChunk } from '../ftp-servers/vsftpd/log-parse.ts';
import { parseXferlogLine } from '../ftp-servers/xferlog-parse.ts';
import { parseConntrack } from './conntrack-parse.ts';
import { parseReader } from './ctreader-parse.ts';
import { parseExpect } from './expect-parse.ts';
import { parseFirewalldZones } from './firewalld-zones-parse.ts';
import { parseConntrackStats, parseSysctls } from './health-parse.ts';
import { parseIptablesSave } from './iptables-save-parse.ts';
import { parseNftJson } from './nft-json-parse.ts';
import { parseTraceLines } from './nft-trace-parse.ts';
import { parseNflog } from './tcpdump-nflog-parse.ts';

type Parser = (text: string) => { records: unknown[]; unknown: number } | { unknown: number };

const parsers: [string, Parser, string][] = [
  ['conntrack', parseConntrack, 'conntrack/1.4.7/ct-events-healthy.txt'],
  ['expect', parseExpect, 'conntrack/1.4.7/ct-expect-events-healthy.txt'],
  ['ftpscope-ctreader', parseReader, 'ctreader/0.1.0/events-healthy.txt'],
  ['conntrack -S', parseConntrackStats, 'conntrack/1.4.7/stats.txt'],
  ['sysctls', parseSysctls, 'conntrack/1.4.7/count.txt'],
  [
    'iptables-save',
    (t) => parseIptablesSave(t, 'iptables-legacy', 'ipv4'),
    'iptables/1.8.9/legacy-nohelper-save.txt',
  ],
  ['nft -j', (t) => parseNftJson(t), 'nft/1.0.6/native-healthy.json'],
  ['tcpdump nflog', parseNflog, 'tcpdump/4.99.3/nflog-drops.txt'],
  ['nft monitor trace', parseTraceLines, 'firewalld/1.3.3/trace-port-only.txt'],
  ['firewall-cmd --list-all-zones', parseFirewalldZones, 'firewalld/1.3.3/list-all-zones-port-only.txt'],
  ['vsftpd.conf', (t) => parseVsftpdConf(t, 'x'), 'vsftpd/3.0.3/vsftpd.conf'],
  ['vsftpd.log', parseFtpLog, 'vsftpd/3.0.3/vsftpd.log'],
  [
    'proftpd ExtendedLog',
    (t) => parseLogChunk(t, (l) => (extendedLogParser(RECOMMENDED_LOG_FORMAT) ?? (() => null))(l, 0)),
    'proftpd/1.3.8/lab-proftpd-extended.log',
  ],
  ['proftpd.conf', (t) => parseProftpdConf(logicalLines(t, 'x'), 'x'), 'proftpd/1.3.8/debian/proftpd.conf'],
  [
    'pure-ftpd syslog',
    (t) => parseLogChunk(t, (l) => parsePureFtpdSyslog(l, 0)),
    'pure-ftpd/1.0.50/lab-pure-ftpd-syslog.log',
  ],
  [
    'pure-ftpd clf',
    (t) => parseLogChunk(t, (l) => parsePureFtpdClf(l, 0)),
    'pure-ftpd/1.0.50/lab-pure-ftpd-syslog.log',
  ],
  ['pure-ftpd.conf', optionsFromConfFile, 'pure-ftpd/1.0.50/upstream-pure-ftpd.conf'],
  [
    'xferlog',
    (t) => parseLogChunk(t, (l) => (l.trim() === '' ? 'skip' : wrap(parseXferlogLine(l)))),
    'proftpd/1.3.8/lab-proftpd.xferlog',
  ],
];

const wrap = <T>(x: T | null): T[] | null => (x === null ? null : [x]);

describe('parsers without unknown-line counts never throw', () => {
  it('ss listeners, syslog lines, Pure-FTPd command lines', () => {
    fc.assert(
      fc.property(
        mutatedLines(fixture('ss/6.1.0/listeners-proftpd.txt')),
        fc.array(fc.string(), { maxLength: 12 }),
        (text, argv) => {
          for (const l of parseSsListeners(text)) expect(Number.isInteger(l.port)).toBe(true);
          for (const line of text.split('\n')) parseSyslogLine(line, 0);
          settingsFromOptions(optionsFromArgv(['pure-ftpd', ...argv]).options, 'x');
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** Real lines cut, spliced and salted with random text: close enough to the grammar to reach deep branches. */
function mutatedLines(sample: string) {
  const real = sample.split('\n').filter(Boolean);
  return fc
    .array(
      fc.oneof(
        fc.string(),
        fc.constantFrom(...real),
        fc
          .tuple(fc.constantFrom(...real), fc.nat(400), fc.string())
          .map(([l, i, s]) => l.slice(0, i) + s + l.slice(i)),
        fc.tuple(fc.constantFrom(...real), fc.nat(400)).map(([l, i]) => l.slice(0, i)),
      ),
      { maxLength: 20 },
    )
    .map((ls) => ls.join('\n'));
}

describe('parsers never throw and count what they do not understand', () => {
  for (const [name, parse, sample] of parsers) {
    it(name, () => {
      fc.assert(
        fc.property(mutatedLines(fixture(sample)), (text) => {
          const r = parse(text);
          expect(r.unknown).toBeGreaterThanOrEqual(0);
          const nonEmpty = text.split('\n').filter((l) => l.trim() !== '').length;
          // nft -j is one document: any damage is one unknown; the others count lines. A ProFTPD line holds a
          // command, its reply and maybe a transfer: up to three records.
          const perLine = name === 'proftpd ExtendedLog' ? 3 : 1;
          if (name !== 'nft -j' && 'records' in r)
            expect(r.records.length / perLine + r.unknown).toBeLessThanOrEqual(nonEmpty);
          else expect(r.unknown).toBeLessThanOrEqual(Math.max(1, nonEmpty));
        }),
        { numRuns: 300 },
      );
    });
    it(`${name}: pure garbage is counted, not parsed`, () => {
      const r = parse('\u0000\u0001 zz==[[ ]]\n');
      expect(r.unknown).toBe(1);
    });
  }
});
