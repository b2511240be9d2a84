import type pg from 'pg';
import type { CollectorToken } from '../store.ts';

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

/** Issued collector tokens on PostgreSQL (every hub of the database accepts them). */
export class PgCollectorTokens {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async create(t: { id: string; host: string; hash: Buffer; createdAt: number }): Promise<CollectorToken> {
    await this.#pool.query({
      name: 'ftpscope_token_insert',
      text: 'INSERT INTO collector_tokens (id, host, hash, created_at) VALUES ($1, $2, $3, $4)',
      values: [t.id, t.host, t.hash, t.createdAt],
    });
    return { id: t.id, host: t.host, createdAt: t.createdAt, lastUsedAt: null, revokedAt: null };
  }

  async list(): Promise<CollectorToken[]> {
    const { rows } = await this.#pool.query<Row>(
      `SELECT ${COLUMNS} FROM collector_tokens ORDER BY created_at DESC, id COLLATE "C"`,
    );
    return rows.map(toToken);
  }

  async get(id: string): Promise<CollectorToken | null> {
    const { rows } = await this.#pool.query<Row>({
      name: 'ftpscope_token_get',
      text: `SELECT ${COLUMNS} FROM collector_tokens WHERE id = $1`,
      values: [id],
    });
    return rows[0] ? toToken(rows[0]) : null;
  }

  async findActive(hash: Buffer): Promise<CollectorToken | null> {
    const { rows } = await this.#pool.query<Row>({
      name: 'ftpscope_token_active',
      text: `SELECT ${COLUMNS} FROM collector_tokens WHERE hash = $1 AND revoked_at IS NULL`,
      values: [hash],
    });
    return rows[0] ? toToken(rows[0]) : null;
  }

  async touch(id: string, now: number): Promise<void> {
    await this.#pool.query({
      name: 'ftpscope_token_touch',
      text: 'UPDATE collector_tokens SET last_used_at = $2 WHERE id = $1',
      values: [id, now],
    });
  }

  async revoke(id: string, now: number): Promise<CollectorToken | null> {
    await this.#pool.query({
      name: 'ftpscope_token_revoke',
      text: 'UPDATE collector_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL',
      values: [id, now],
    });
    return this.get(id);
  }
}
