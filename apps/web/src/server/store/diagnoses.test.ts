import { join } from 'node:path';
import type { Diagnosis } from '@ftpscope/shared';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/harness.ts';
import { loadMigrations, migrate } from './db.ts';
import { DiagnosesRepo } from './diagnoses.ts';

const d = (id: string, firstSeen: number, resolvedAt: number | null): Diagnosis => ({
  id,
  kind: 'ftp-helper-not-assigned',
  host: 'ftp1',
  severity: 'critical',
  title: 't',
  explanation: 'e',
  evidence: [],
  fix: [],
  firstSeen,
  lastSeen: resolvedAt ?? firstSeen,
  resolvedAt,
});

describe('diagnoses store: one row per occurrence', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('migration 0003 gives rows stored with a bare stable id their occurrence id', () => {
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

  it('keeps a resolved occurrence when the same problem opens again, updates the open one in place', () => {
    const db = new Database(join(dir, 'hub.db'));
    migrate(db);
    const repo = new DiagnosesRepo(db);
    repo.upsert(d('ftp1:ftp-helper-not-assigned@1000', 1000, null));
    repo.upsert(d('ftp1:ftp-helper-not-assigned@1000', 1000, 40_000));
    repo.upsert(d('ftp1:ftp-helper-not-assigned@90000', 90_000, null));
    expect(repo.list({}).map((v) => [v.id, v.resolvedAt !== null])).toEqual([
      ['ftp1:ftp-helper-not-assigned@90000', false],
      ['ftp1:ftp-helper-not-assigned@1000', true],
    ]);
    expect(repo.list({ active: false }).map((v) => v.id)).toEqual(['ftp1:ftp-helper-not-assigned@1000']);
    db.close();
  });
});
