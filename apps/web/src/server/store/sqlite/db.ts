import Database from 'better-sqlite3';
import { MIGRATIONS_DIRS } from '../../paths.ts';
import { StoreOpenError } from '../errors.ts';
import { loadMigrationFiles, type MigrationFile } from '../migration-files.ts';

/** The one SQLite connection of the hub (the only writer). */
export type Db = Database.Database;

/** Numbered migrations shipped with this version, in order. */
export function loadMigrations(): MigrationFile[] {
  return loadMigrationFiles(MIGRATIONS_DIRS.sqlite);
}

/**
 * Opens (or creates) the database with the hub's pragmas and applies pending migrations.
 * EXCLUSIVE locking makes a second hub on the same file fail fast instead of interleaving writes.
 */
export function openDatabase(file: string, opts: { busyTimeoutMs?: number } = {}): Db {
  let db: Db;
  try {
    db = new Database(file);
  } catch (err) {
    throw new StoreOpenError(
      `cannot open database ${file}: ${(err as Error).message} (check the path and permissions given to --store)`,
    );
  }
  try {
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 2000}`);
    db.pragma('locking_mode = EXCLUSIVE');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, expected wal`);
    db.pragma('synchronous = NORMAL');
    // Checkpoints (which fsync) run on the ingest path: every 10,000 pages instead of 1,000 stalls a commit ten
    // times less often and copies a page rewritten by many batches once; the limit trims the WAL file after.
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw explainOpenError(file, err as Error & { code?: string });
  }
}

function explainOpenError(file: string, err: Error & { code?: string }): Error {
  if (err instanceof StoreOpenError) return err;
  const code = err.code ?? '';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreOpenError(
      `database ${file} is locked by another process (is another hub running on it?); stop it or use another --store sqlite:FILE`,
    );
  }
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreOpenError(
      `database ${file} is not a valid ftpscope database or is corrupt (${err.message}); move it away to start fresh, or restore a backup`,
    );
  }
  return new StoreOpenError(`cannot open database ${file}: ${err.message}`);
}

/** Applies each migration newer than PRAGMA user_version in its own transaction. */
export function migrate(db: Db): number {
  const migrations = loadMigrations();
  const latest = migrations.at(-1)?.version ?? 0;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) {
    throw new StoreOpenError(
      `database schema version ${current} is newer than this hub knows (${latest}); upgrade ftpscope`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return latest;
}
