import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../testing/harness.ts';
import { StoreOpenError } from '../errors.ts';
import { loadMigrations, migrate, openDatabase } from './db.ts';
import { SqliteStore } from './sqlite-store.ts';

describe('database open and migrations', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('applies every migration on a fresh file with the hub pragmas, and re-opens without re-applying', async () => {
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
    const again = new SqliteStore(file, { now: Date.now });
    expect(await again.schemaVersion()).toBe(latest);
    expect((await again.hosts.list(Date.now())).map((h) => h.name)).toEqual(['alpha']);
    expect(await again.integrityCheck()).toBe('ok');
    await again.close();
  });

  it('numbers every migration once (a second file with a used number would never run)', () => {
    const versions = loadMigrations().map((m) => m.version);
    expect(new Set(versions).size).toBe(versions.length);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
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

  it('migration 0003 gives diagnoses stored with a bare stable id their occurrence id', () => {
    const db = new Database(join(dir, 'hub.db'));
    for (const m of loadMigrations().filter((m) => m.version <= 2)) db.exec(m.sql);
    db.pragma('user_version = 2');
    const insert = db.prepare(
      `INSERT INTO diagnoses (id, kind, host, severity, title, explanation, evidence, fix, first_seen, last_seen)
       VALUES (?, 'k', 'ftp1', 'critical', 't', 'e', '[]', '[]', ?, ?)`,
    );
    insert.run('ftp1:ftp-helper-not-assigned', 1000, 2000);
    insert.run('ftp1:related-not-accepted@5000', 5000, 6000);
    migrate(db);
    expect(db.prepare('SELECT id FROM diagnoses ORDER BY id').pluck().all()).toEqual([
      'ftp1:ftp-helper-not-assigned@1000',
      'ftp1:related-not-accepted@5000',
    ]);
    db.close();
  });
});
