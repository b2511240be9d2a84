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

/** A model and an attacher; `connect` applies the recording's first control connection, `read` one log read. */
function harness() {
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
  const connect = () => {
    for (const line of fixture('conntrack/1.4.7/ct-events-healthy.txt').slice(0, 3)) {
      const rec = parseConntrackLine(line);
      if (rec) model.applyConntrack(rec, rec.at ?? 0);
    }
  };
  // One read of the log: the attacher applies its records, then updates each session once.
  const read = (logLines: string[]) =>
    attacher.apply(
      logLines.flatMap((line) => {
        const recs = parseFtpLogLine(line);
        return recs !== null && recs !== 'skip' ? recs : [];
      }),
    );
  return { sessions, attacher, connect, read };
}

function replay(logLines: string[]): FtpSession[] {
  const h = harness();
  h.connect();
  h.read(logLines);
  return h.sessions;
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

describe('LogAttacher: a log read before its conntrack session', () => {
  it('binds once the session appears (rebind), with what the read said', () => {
    const { sessions, attacher, connect, read } = harness();
    read(firstSessionLog());
    expect(sessions).toEqual([]);
    connect();
    expect(sessions.at(-1)?.user).toBeNull();
    attacher.rebind();
    expect(sessions.at(-1)).toMatchObject({ user: 'anonymous', mode: 'passive' });
  });
});

describe('LogAttacher: the dialogue of a session', () => {
  it('keeps the commands and replies of the recorded session in order, with their times', () => {
    const last = replay(firstSessionLog()).at(-1);
    const texts = (last?.dialogue ?? []).map((l) => `${l.dir}:${l.text}`);
    expect(texts[0]).toBe('reply:220 (vsFTPd 3.0.3)');
    expect(texts).toContain('command:USER anonymous');
    expect(texts).toContain('reply:230 Login successful.');
    const pasv = texts.indexOf('command:PASV');
    expect(pasv).toBeGreaterThan(0);
    expect(texts[pasv + 1]).toMatch(/^reply:227 Entering Passive Mode \(198,18,250,1,\d+,\d+\)/);
    expect(last?.dialogue?.every((l) => l.at > 0)).toBe(true);
    expect(last?.dialogueOmitted).toBeUndefined();
  });

  it('masks the PASS argument before the session leaves the attacher, whatever the case', () => {
    // vsftpd and ProFTPD do not write the password (ProFTPD logs "(hidden)"); a server that did must not leak it.
    const log = firstSessionLog();
    const user = log.findIndex((l) => l.includes('"USER anonymous"'));
    const secret = 'S3cret-pa55';
    const pass = (log[user] as string).replace('"USER anonymous"', `"pass ${secret}"`);
    const sessions = replay([...log.slice(0, user + 1), pass, ...log.slice(user + 1)]);
    expect(JSON.stringify(sessions)).not.toContain(secret);
    expect(sessions.at(-1)?.dialogue?.map((l) => l.text)).toContain('PASS ****');
  });

  it('keeps the most recent lines of a long session and counts the rest', () => {
    const log = firstSessionLog();
    const noop = (log.find((l) => l.includes('"PWD"')) as string).replace('"PWD"', '"NOOP"');
    const full = replay(log).at(-1)?.dialogue?.length ?? 0;
    const last = replay([...log, ...Array.from({ length: 80 }, () => noop)]).at(-1);
    expect(last?.dialogue?.length).toBe(50);
    expect(last?.dialogue?.at(-1)?.text).toBe('NOOP');
    expect(last?.dialogueOmitted).toBe(full + 80 - 50);
  });
});
