import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/fixtures.ts';
import { parseFtpLog } from './log-parse.ts';

describe('parseFtpLog (vsftpd 3.0.3)', () => {
  it('reads vsftpd.log protocol and transfer lines, IPv4-mapped and IPv6 clients', () => {
    const r = parseFtpLog(fixture('vsftpd/3.0.3/vsftpd.log'));
    expect(r.unknown).toBe(0);
    const kinds = new Set(r.records.map((x) => x.kind));
    expect(kinds).toEqual(new Set(['connect', 'login', 'command', 'response', 'transfer']));
    expect(r.records.find((x) => x.kind === 'connect')?.client).toBe('198.18.250.2');
    expect(r.records.some((x) => x.client === '2001:2:0:250::2')).toBe(true);
    expect(r.records.find((x) => x.kind === 'login')).toMatchObject({ user: 'anonymous', ok: true });
    expect(r.records.find((x) => x.kind === 'command' && x.command === 'EPRT')).toMatchObject({
      arg: expect.stringContaining('|2|'),
    });
    expect(r.records.find((x) => x.kind === 'response' && x.code === 234)).toBeDefined();
    expect(r.records.find((x) => x.kind === 'transfer' && !x.ok)).toMatchObject({
      direction: 'download',
      path: '/file.bin',
    });
  });

  it('reads xferlog lines', () => {
    const r = parseFtpLog(fixture('vsftpd/3.0.3/xferlog'));
    expect(r.unknown).toBe(0);
    expect(r.records[0]).toMatchObject({
      kind: 'transfer',
      pid: null,
      client: '198.18.250.2',
      user: 'anonymous',
      direction: 'download',
      ok: false,
    });
    expect(r.records.filter((x) => x.kind === 'transfer' && x.ok).length).toBe(r.records.length - 1);
  });

  it('counts lines it does not understand', () => {
    expect(parseFtpLog('hello\nThu Nov 26 20:41:57 2026 [pid 1] nope\n').unknown).toBe(2);
  });
});
