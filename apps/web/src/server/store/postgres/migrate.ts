import type pg from 'pg';
import { MIGRATIONS_DIRS } from '../../paths.ts';
import { StoreOpenError } from '../errors.ts';
import { loadMigrationFiles, type MigrationFile } from '../migration-files.ts';
import { withClient } from './connect.ts';

/** Numbered PostgreSQL migrations shipped with this version, in order. */
export function loadPgMigrations(): MigrationFile[] {
  return loadMigrationFiles(MIGRATIONS_DIRS.postgres);
}

/** Any constant key: hubs starting together take turns, so each migration runs once. */
const MIGRATE_LOCK = 7_170_001;

/**
 * Applies each migration newer than the recorded version, each in its own transaction, under an advisory lock
 * (several hubs may start at once on one database). Returns the version reached.
 */
export async function migrate(pool: pg.Pool): Promise<number> {
  const migrations = loadPgMigrations();
  const latest = migrations.at(-1)?.version ?? 0;
  return withClient(pool, async (client) => {
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const { rows } = await client.query<{ v: number | null }>(
        'SELECT max(version) AS v FROM schema_migrations',
      );
      const current = rows[0]?.v ?? 0;
      if (current > latest) {
        throw new StoreOpenError(
          `database schema version ${current} is newer than this hub knows (${latest}); upgrade ftpscope`,
        );
      }
      for (const m of migrations) {
        if (m.version <= current) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
            m.version,
            m.name,
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
      return latest;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]).catch(() => undefined);
    }
  });
}

/** The version the migrations reached. */
export async function schemaVersion(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return rows[0]?.v ?? 0;
}
