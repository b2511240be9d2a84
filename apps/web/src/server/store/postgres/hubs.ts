import type pg from 'pg';

/** How often a hub writes its heartbeat. */
export const HEARTBEAT_MS = 2000;
/** A hub not seen this long is gone: its hosts show disconnected, its streams, leases and alerts are taken over. */
export const HUB_GONE_AFTER_MS = 10_000;

/** SQL: true when the hub named by `column` wrote a heartbeat within HUB_GONE_AFTER_MS of `now` (an int8 param). */
export function hubAlive(column: string, now: string): string {
  return `EXISTS (SELECT 1 FROM hubs WHERE hubs.id = ${column} AND hubs.seen_at > ${now}::int8 - ${HUB_GONE_AFTER_MS})`;
}

/**
 * This hub's row in `hubs`, refreshed every HEARTBEAT_MS while the store is open, and the leases on hosts'
 * diagnoses. Also clears old live_batches rows (any hub may; every one does it cheaply).
 */
export class PgHubs {
  readonly #pool: pg.Pool;
  readonly #hubId: string;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  /** What the other live hubs' browsers followed at the last heartbeat: only those batches go to live_batches. */
  #othersFollow: '*' | Set<string> = new Set();
  /** This hub's browsers' hosts, written with each heartbeat. */
  following: () => '*' | string[] | null = () => null;

  constructor(pool: pg.Pool, hubId: string, now: () => number) {
    this.#pool = pool;
    this.#hubId = hubId;
    this.#now = now;
  }

  /** Registers this hub and starts its heartbeat; its claims from an earlier run go back to the outbox. */
  async start(onError: (err: unknown) => void): Promise<void> {
    await this.beat();
    await this.#pool.query('UPDATE alerts SET claimed_by = NULL WHERE claimed_by = $1 AND sent_at IS NULL', [
      this.#hubId,
    ]);
    this.#timer = setInterval(() => {
      this.beat()
        .then(() => this.#pool.query('DELETE FROM live_batches WHERE at < $1', [this.#now() - 60_000]))
        .catch(onError);
    }, HEARTBEAT_MS);
    this.#timer.unref();
  }

  async beat(): Promise<void> {
    const now = this.#now();
    const live = this.following();
    await this.#pool.query({
      name: 'ftpscope_hub_beat',
      text: `INSERT INTO hubs (id, started_at, seen_at, live) VALUES ($1, $2, $2, $3)
        ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at, live = excluded.live`,
      values: [this.#hubId, now, live === null ? null : JSON.stringify(live)],
    });
    const { rows } = await this.#pool.query<{ live: '*' | string[] }>({
      name: 'ftpscope_hub_others',
      text: `SELECT live FROM hubs WHERE id <> $1 AND seen_at > $2::int8 - ${HUB_GONE_AFTER_MS} AND live IS NOT NULL`,
      values: [this.#hubId, now],
    });
    const follow = new Set<string>();
    for (const r of rows) {
      if (r.live === '*') {
        this.#othersFollow = '*';
        return;
      }
      for (const h of r.live) follow.add(h);
    }
    this.#othersFollow = follow;
  }

  /** Whether a browser on another live hub followed the host at the last heartbeat. */
  othersFollow(host: string): boolean {
    return this.#othersFollow === '*' || this.#othersFollow.has(host);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Takes or renews the lease on each host (free, expired or already ours); resolves with those held. */
  async acquire(hosts: string[], now: number, ttlMs: number): Promise<string[]> {
    if (hosts.length === 0) return [];
    const { rows } = await this.#pool.query<{ host: string }>({
      name: 'ftpscope_leases_acquire',
      text: `INSERT INTO host_leases (host, hub_id, expires_at) SELECT unnest($1::text[]), $2, $3::int8 + $4::int8
        ON CONFLICT (host) DO UPDATE SET hub_id = excluded.hub_id, expires_at = excluded.expires_at
        WHERE host_leases.hub_id = excluded.hub_id OR host_leases.expires_at < $3::int8
        RETURNING host`,
      values: [hosts, this.#hubId, now, ttlMs],
    });
    return rows.map((r) => r.host);
  }

  async release(host: string): Promise<void> {
    await this.#pool.query({
      name: 'ftpscope_leases_release',
      text: 'DELETE FROM host_leases WHERE host = $1 AND hub_id = $2',
      values: [host, this.#hubId],
    });
  }
}
