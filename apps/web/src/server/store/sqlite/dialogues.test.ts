import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FtpSession } from '@ftpscope/shared';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../testing/harness.ts';
import { migrate } from './db.ts';
import { SessionsRepo } from './sessions.ts';

const SECRET = 'Hunter2-very-secret';
/** A session as a collector that did not mask (an old or foreign one) would report it. */
const careless: FtpSession = {
  id: 's-9',
  family: 'ipv4',
  client: { ip: '198.18.1.100', port: 42814 },
  server: { ip: '198.18.1.11', port: 21 },
  state: 'ESTABLISHED',
  helper: null,
  user: 'bob',
  mode: 'passive',
  tls: false,
  startedAt: 1000,
  endedAt: null,
  dialogue: [
    { at: 1000, dir: 'reply', text: '220 ftpscope lab ftp1' },
    { at: 1000, dir: 'command', text: 'USER bob' },
    { at: 1001, dir: 'command', text: `pass ${SECRET}` },
    { at: 1001, dir: 'reply', text: '230 Login successful.' },
    { at: 1002, dir: 'command', text: 'PASV' },
    { at: 1002, dir: 'command', text: 'RETR small.txt' },
  ],
  dialogueOmitted: 3,
};

describe('session dialogues in the store', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('masks a PASS argument again on ingest: it is in neither the answer nor the database files', () => {
    const db = new Database(join(dir, 'hub.db'));
    db.pragma('journal_mode = WAL');
    migrate(db);
    db.prepare("INSERT INTO hosts (name) VALUES ('ftp1')").run();
    const repo = new SessionsRepo(db);
    repo.upsertSession('ftp1', careless);
    const d = repo.dialogues.get('ftp1', 's-9');
    expect(d?.omitted).toBe(3);
    expect(d?.lines.map((l) => l.text)).toEqual([
      '220 ftpscope lab ftp1',
      'USER bob',
      'PASS ****',
      '230 Login successful.',
      'PASV',
      'RETR small.txt',
    ]);
    expect(db.prepare('SELECT verbs FROM session_dialogues').pluck().get()).toBe('["RETR"]');
    db.close();
    for (const f of readdirSync(dir)) expect(readFileSync(join(dir, f)).includes(SECRET), f).toBe(false);
  });

  it('a later report replaces the lines; a report without dialogue keeps them; lists never carry them', () => {
    const db = new Database(join(dir, 'hub.db'));
    migrate(db);
    db.prepare("INSERT INTO hosts (name) VALUES ('ftp1')").run();
    const repo = new SessionsRepo(db);
    repo.upsertSession('ftp1', careless);
    repo.upsertSession('ftp1', {
      ...careless,
      dialogue: [{ at: 2000, dir: 'command', text: 'QUIT' }],
      dialogueOmitted: 0,
    });
    const { dialogue: _d, dialogueOmitted: _o, ...bare } = careless;
    repo.upsertSession('ftp1', { ...bare, state: 'CLOSED', endedAt: 3000 });
    expect(repo.dialogues.get('ftp1', 's-9')).toEqual({
      lines: [{ at: 2000, dir: 'command', text: 'QUIT' }],
      omitted: 0,
    });
    expect(repo.dialogues.get('ftp1', 's-none')).toBeNull();
    expect(JSON.stringify(repo.list({ host: 'ftp1', limit: 10 }))).not.toContain('QUIT');
    db.close();
  });
});
