import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/harness.ts';
import { loadMigrations, openDatabase, StoreOpenError } from './db.ts';
import { Store } from './index.ts';

describe('database open and migrations', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('applies every migration on a fresh file with the hub pragmas, and re-opens without re-applying', () => {
    const file = join(dir, 'hub.db');
    const latest = loadMigrations().at(-1)?.version;
    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(latest);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(10000);
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual(
      expect.arrayContaining([
        'hosts',
        'streams',
        'sessions',
        'expectations',
        'data_connections',
        'rules',
        'rule_samples',
        'rule_rollup_1m',
        'ruleset_changes',
        'drops',
        'health_samples',
        'diagnoses',
        'gaps',
        'ftp_settings',
      ]),
    );
    db.prepare("INSERT INTO hosts (name) VALUES ('alpha')").run();
    db.close();
    const again = new Store(file, { now: Date.now });
    expect(again.schemaVersion()).toBe(latest);
    expect(again.hosts.list(Date.now()).map((h) => h.name)).toEqual(['alpha']);
    expect(again.integrityCheck()).toBe('ok');
    void again.close();
  });

  it('refuses a database from a newer ftpscope', () => {
    const file = join(dir, 'newer.db');
    const raw = new Database(file);
    raw.pragma('user_version = 999');
    raw.close();
    expect(() => openDatabase(file)).toThrow(/schema version 999 is newer/);
  });

  it('explains a corrupt or foreign file', () => {
    const file = join(dir, 'corrupt.db');
    writeFileSync(
      file,
      'this is not a database, just some text that is long enough to have a header..........',
    );
    expect(() => openDatabase(file)).toThrow(StoreOpenError);
    expect(() => openDatabase(file)).toThrow(/not a valid ftpscope database or is corrupt/);
  });

  it('explains a database locked by another hub', () => {
    const file = join(dir, 'locked.db');
    const first = openDatabase(file);
    try {
      expect(() => openDatabase(file, { busyTimeoutMs: 100 })).toThrow(/locked by another process/);
    } finally {
      first.close();
    }
    openDatabase(file).close(); // free again once the first one closed
  });

  it('explains an unwritable path', () => {
    expect(() => openDatabase(join(dir, 'missing-dir', 'x.db'))).toThrow(/cannot open database/);
  });
});
