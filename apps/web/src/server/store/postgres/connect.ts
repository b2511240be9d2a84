import pg from 'pg';
import { StoreOpenError } from '../errors.ts';
import { maskPassword } from '../store-spec.ts';

/** int8 (counts, epoch ms, ids) as numbers: every value the hub stores stays below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Connections of one hub's pool: ingest batches, API reads, retention; LISTEN has its own client. */
export const POOL_SIZE = 10;

/** A pool on the URL of --store, with the hub's type parsing; errors of idle clients are logged, not thrown. */
export function createPool(url: string, onIdleError: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_SIZE,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    // A query stuck behind a dead server must fail (and the batch be resent), not hang ingest forever.
    query_timeout: 60_000,
    application_name: 'ftpscope-hub',
    types,
  });
  pool.on('error', onIdleError);
  return pool;
}

/** A single client (LISTEN needs one connection of its own). */
export function createClient(url: string): pg.Client {
  return new pg.Client({ connectionString: url, application_name: 'ftpscope-hub-listen', types });
}

/** Why PostgreSQL refused or could not be reached, in words an operator can act on. */
export function explainPgError(url: string, err: unknown): string {
  const e = err as Error & { code?: string };
  const where = maskPassword(url);
  const cause = `${e.message}${e.code ? ` (${e.code})` : ''}`;
  switch (e.code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach PostgreSQL at ${where}: ${cause}; is the server running and listening there?`;
    case '28P01':
      return `PostgreSQL at ${where} rejected the password: ${cause}; check the user and password in --store`;
    case '28000':
      return `PostgreSQL at ${where} refused the login: ${cause}; create the role or allow it in pg_hba.conf`;
    case '3D000':
      return `PostgreSQL at ${where}: ${cause}; create it (createdb) or fix the database name in --store`;
    case '42501':
      return `PostgreSQL at ${where}: the role lacks rights: ${cause}; the hub's role must own its database (or have CREATE on its schema)`;
    case '57P01':
    case '57P02':
    case '57P03':
      return `PostgreSQL at ${where} is shutting down or starting up: ${cause}`;
    default:
      return `PostgreSQL at ${where}: ${cause}`;
  }
}

/** True for errors that mean the server went away (retry later), not that the request was wrong. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  const msg = (err as Error).message ?? '';
  return (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'EPIPE',
      'ETIMEDOUT',
      'EHOSTUNREACH',
      '57P01',
      '57P02',
      '57P03',
      '08006',
      '08003',
      '08001',
    ].includes(code) ||
    /Connection terminated|connection timeout|Client has encountered a connection error|Query read timeout/i.test(
      msg,
    )
  );
}

/** Opening failed: the message names the URL (password masked), the cause and what to do. */
export function openError(url: string, err: unknown): StoreOpenError {
  return new StoreOpenError(explainPgError(url, err));
}

/**
 * Runs fn with a client of the pool. A checked-out client that loses its connection emits 'error' (which would
 * crash the process without a listener) besides failing its query: the listener keeps it to the query, and a
 * broken client is destroyed instead of going back to the pool.
 */
export async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const onError = () => {};
  client.on('error', onError);
  let broken: Error | undefined;
  try {
    return await fn(client);
  } catch (err) {
    if (isConnectionError(err)) broken = err as Error;
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** Runs fn in one transaction (BEGIN … COMMIT, ROLLBACK on error) on a client of the pool. */
export function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      const v = await fn(client);
      await client.query('COMMIT');
      return v;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}
