import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/fixtures.ts';
import { parseLogChunk } from '../vsftpd/log-parse.ts';
import { RECOMMENDED_LOG_FORMAT } from './index.ts';
import { compileLogFormat, DEFAULT_LOG_FORMAT, extendedLogParser } from './log-parse.ts';

const parse = extendedLogParser(RECOMMENDED_LOG_FORMAT);
const NOW = Date.UTC(2026, 10, 30, 14, 0, 0);

describe('ProFTPD ExtendedLog (1.3.8, recorded from the lab)', () => {
  it('reads every line: commands with their reply, the session pid and client port, transfers with bytes', () => {
    if (!parse) throw new Error('format not compiled');
    const r = parseLogChunk(fixture('proftpd/1.3.8/lab-proftpd-extended.log'), (l) => parse(l, NOW));
    expect(r.unknown).toBe(0);
    const pasv = r.records.find((x) => x.kind === 'response' && x.code === 227);
    expect(pasv).toMatchObject({
      client: '198.18.1.100',
      clientPort: expect.any(Number),
      pid: expect.any(Number),
    });
    expect(pasv && pasv.kind === 'response' && pasv.text).toMatch(
      /Entering Passive Mode \(198,18,1,11,\d+,\d+\)/,
    );
    expect(r.records.find((x) => x.kind === 'transfer' && x.direction === 'download')).toMatchObject({
      bytes: 1048576,
      ok: true,
    });
    expect(r.records.find((x) => x.kind === 'login')).toMatchObject({ user: 'ftp', ok: true });
    expect(r.records.find((x) => x.kind === 'command' && x.command === 'HOST')).toMatchObject({
      arg: '198.18.1.11',
    });
    expect(r.records.some((x) => x.client === '2001:2:0:1::100')).toBe(true);
    expect(r.records.find((x) => x.kind === 'response' && x.code === 234)).toBeDefined();
    const t = r.records[0]?.at as number;
    expect(new Date(t).getFullYear()).toBe(2026);
  });

  it('compiles the default format, and refuses one without a client address or command', () => {
    expect(compileLogFormat(DEFAULT_LOG_FORMAT)).not.toBeNull();
    expect(extendedLogParser('%t %s %b')).toBeNull();
    const p = extendedLogParser(DEFAULT_LOG_FORMAT);
    expect(p?.('198.18.1.100 - ftp [30/Nov/2026:13:35:11 +0000] "RETR 1MB.bin" 226 1048576', NOW)).toEqual([
      expect.objectContaining({
        kind: 'command',
        command: 'RETR',
        arg: '1MB.bin',
        at: Date.UTC(2026, 10, 30, 13, 35, 11),
      }),
      expect.objectContaining({ kind: 'response', code: 226 }),
      expect.objectContaining({ kind: 'transfer', direction: 'download', bytes: 1048576, ok: true }),
    ]);
  });
});
