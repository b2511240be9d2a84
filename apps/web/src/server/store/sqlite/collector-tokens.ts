import type { CollectorToken } from '../store.ts';
import type { Db } from './db.ts';

interface Row {
  id: string;
  host: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const toToken = (r: Row): CollectorToken => ({
  id: r.id,
  host: r.host,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

const COLUMNS = 'id, host, created_at, last_used_at, revoked_at';

/** Issued collector tokens, looked up by the SHA-256 of the token a collector presents. */
export class CollectorTokensRepo {
  readonly #insert;
  readonly #list;
  readonly #get;
  readonly #active;
  readonly #touch;
  readonly #revoke;

  constructor(db: Db) {
    this.#insert = db.prepare(
      'INSERT INTO collector_tokens (id, host, hash, created_at) VALUES (@id, @host, @hash, @createdAt)',
    );
    this.#list = db.prepare(`SELECT ${COLUMNS} FROM collector_tokens ORDER BY created_at DESC, id`);
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM collector_tokens WHERE id = ?`);
    this.#active = db.prepare(
      `SELECT ${COLUMNS} FROM collector_tokens WHERE hash = ? AND revoked_at IS NULL`,
    );
    this.#touch = db.prepare('UPDATE collector_tokens SET last_used_at = ? WHERE id = ?');
    this.#revoke = db.prepare(
      'UPDATE collector_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
    );
  }

  /** Stores a new token's hash for one host. */
  create(t: { id: string; host: string; hash: Buffer; createdAt: number }): CollectorToken {
    this.#insert.run(t);
    return { id: t.id, host: t.host, createdAt: t.createdAt, lastUsedAt: null, revokedAt: null };
  }

  /** Every token, newest first (revoked ones included). */
  list(): CollectorToken[] {
    return (this.#list.all() as Row[]).map(toToken);
  }

  get(id: string): CollectorToken | null {
    const row = this.#get.get(id) as Row | undefined;
    return row ? toToken(row) : null;
  }

  /** The token with this hash if it is not revoked. */
  findActive(hash: Buffer): CollectorToken | null {
    const row = this.#active.get(hash) as Row | undefined;
    return row ? toToken(row) : null;
  }

  /** A collector used the token (connected or disconnected) now. */
  touch(id: string, now: number): void {
    this.#touch.run(now, id);
  }

  /** Revokes once (a second revoke keeps the first time); null for an unknown id. */
  revoke(id: string, now: number): CollectorToken | null {
    this.#revoke.run(now, id);
    return this.get(id);
  }
}
