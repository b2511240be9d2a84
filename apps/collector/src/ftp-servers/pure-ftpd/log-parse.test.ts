import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/fixtures.ts';
import { parseLogChunk } from '../vsftpd/log-parse.ts';
import { parsePureFtpdClf, parsePureFtpdSyslog } from './log-parse.ts';

const NOW = new Date(2026, 11, 1).getTime();

describe('Pure-FTPd logs (1.0.50, recorded from the lab through busybox syslogd)', () => {
  it('reads connects, logins, commands with the session pid, TLS and transfers; skips other programs', () => {
    const r = parseLogChunk(fixture('pure-ftpd/1.0.50/lab-pure-ftpd-syslog.log'), (l) =>
      parsePureFtpdSyslog(l, NOW),
    );
    expect(r.unknown).toBe(0);
    expect(r.records.find((x) => x.kind === 'connect')).toMatchObject({
      client: '198.18.1.100',
      pid: expect.any(Number),
    });
    expect(r.records.find((x) => x.kind === 'login')).toMatchObject({ user: 'anonymous', ok: true });
    expect(r.records.find((x) => x.kind === 'command' && x.command === 'PASV')).toBeDefined();
    expect(r.records.find((x) => x.kind === 'command' && x.command === 'PORT')).toMatchObject({
      arg: expect.stringMatching(/^198,18,1,100,\d+,\d+$/),
    });
    expect(r.records.find((x) => x.kind === 'command' && x.command === 'EPSV')).toMatchObject({
      client: '2001:2:0:1::100',
    });
    expect(r.records.find((x) => x.kind === 'transfer')).toMatchObject({
      direction: 'download',
      bytes: 1048576,
      path: '/srv/ftp/1MB.bin',
    });
    expect(r.records.find((x) => x.kind === 'response' && x.code === 234)).toBeDefined();
    expect(new Date(r.records[0]?.at as number).getFullYear()).toBe(2026);
  });

  it('dates a year-less line in the past year when it would otherwise be in the future', () => {
    const jan = new Date(2027, 0, 1, 0, 0, 5).getTime();
    const r = parsePureFtpdSyslog(
      'Dec 31 23:59:59 vm pure-ftpd[1]: (?@198.18.0.2) [INFO] New connection from 198.18.0.2',
      jan,
    );
    expect(Array.isArray(r) && new Date(r[0]?.at as number).getFullYear()).toBe(2026);
  });

  it("reads rsyslog's high-precision lines and the clf AltLog", () => {
    const r = parsePureFtpdSyslog(
      '2026-11-30T13:37:13.123456+00:00 vm pure-ftpd[9]: (ftp@198.18.0.2) [DEBUG] Command [pasv] []',
      NOW,
    );
    expect(r).toEqual([
      expect.objectContaining({
        kind: 'command',
        command: 'PASV',
        pid: 9,
        at: Date.UTC(2026, 10, 30, 13, 37, 13, 123),
      }),
    ]);
    expect(
      parsePureFtpdClf('198.18.0.2 - ftp [30/Nov/2026:13:37:11 +0000] "GET /1MB.bin" 200 1048576', NOW),
    ).toEqual([
      expect.objectContaining({ kind: 'transfer', direction: 'download', bytes: 1048576, ok: true }),
    ]);
  });
});
