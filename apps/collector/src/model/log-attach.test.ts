import { readFileSync } from 'node:fs';
import type { CollectorEvent, FtpSession } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import { parseFtpLogLine } from '../ftp-servers/vsftpd/log-parse.ts';
import { parseConntrackLine } from '../sources/conntrack-parse.ts';
import { LogAttacher } from './log-attach.ts';
import { SessionModel } from './sessions.ts';

const fixture = (path: string) =>
  readFileSync(new URL(`../../test/fixtures/${path}`, import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean);

/** The first FTP session of the recording (conntrack and vsftpd.log of the same lab run): its log lines. */
function firstSessionLog(): string[] {
  const lines = fixture('vsftpd/3.0.3/vsftpd.log');
  const second = lines.findIndex((l, i) => i > 0 && l.includes('CONNECT:'));
  return lines.slice(0, second);
}

function replay(logLines: string[]): FtpSession[] {
  const sessions: FtpSession[] = [];
  const model = new SessionModel({
    host: 'ftp1',
    ftpPorts: [21],
    passiveRange: () => null,
    emit: (e: CollectorEvent) => {
      if (e.kind === 'session') sessions.push(e.session);
    },
  });
  const attacher = new LogAttacher(model);
  for (const line of fixture('conntrack/1.4.7/ct-events-healthy.txt').slice(0, 3)) {
    const rec = parseConntrackLine(line);
    if (rec) model.applyConntrack(rec, rec.at ?? 0);
  }
  for (const line of logLines) {
    const recs = parseFtpLogLine(line);
    if (recs !== null && recs !== 'skip') for (const rec of recs) attacher.apply(rec);
  }
  return sessions;
}

describe('LogAttacher on a recorded vsftpd session', () => {
  it('names an anonymous login "anonymous", with its mode and transfer', () => {
    const last = replay(firstSessionLog()).at(-1);
    expect(last).toMatchObject({ user: 'anonymous', mode: 'passive' });
    expect(last?.transfers?.[0]).toMatchObject({ direction: 'download', ok: false, bytes: 131072 });
  });

  it('stays "anonymous" when the privileged OK LOGIN line is written after the session\'s own lines (a loaded machine)', () => {
    const log = firstSessionLog();
    const login = log.findIndex((l) => l.includes('OK LOGIN'));
    const late = [...log.slice(0, login), ...log.slice(login + 1), log[login] as string];
    const users = replay(late)
      .filter((s) => s.user !== null)
      .map((s) => s.user);
    expect(users.length).toBeGreaterThan(0);
    expect(new Set(users)).toEqual(new Set(['anonymous']));
  });
});
