import type { Backend, FirewallInfo, Hello } from '@ftpscope/shared';
import type pg from 'pg';
import { HostTakenError } from '../errors.ts';
import { type HostRecord, TREND_MINUTES } from '../records.ts';
import { notify } from './feed.ts';
import { hubAlive } from './hubs.ts';

const MINUTE = 60_000;

interface HostRow {
  name: string;
  kernel: string | null;
  backends: Backend[];
  connected: boolean;
  last_seen: number | null;
  active_sessions: number;
  open_expectations: number;
  drops_last_minute: number;
  active_diagnoses: number;
  firewall: FirewallInfo | null;
}

// Summaries are computed on read: cheap with the partial indexes, never stale. Names sort byte-wise
// (COLLATE "C") as in SQLite, whatever the database's collation.
const SUMMARY = `SELECT h.name, h.kernel, h.backends, h.connected AND ${hubAlive('h.hub_id', '$1')} AS connected,
    h.last_seen,
    (SELECT count(*) FROM sessions s WHERE s.host = h.name AND s.ended_at IS NULL) AS active_sessions,
    (SELECT count(*) FROM expectations e WHERE e.host = h.name AND e.fulfilled_at IS NULL
       AND e.expired_at IS NULL AND e.seen_at + e.timeout::int8 * 1000 > $1::int8) AS open_expectations,
    (SELECT coalesce(sum(rs.d_packets), 0)::int8 FROM rules r JOIN rule_samples rs
       ON rs.host = r.host AND rs.rule_id = r.id AND rs.at > $1::int8 - 60000
       WHERE r.host = h.name AND r.verdict IN ('drop', 'reject') AND r.removed_at IS NULL) AS drops_last_minute,
    (SELECT count(*) FROM diagnoses d WHERE d.host = h.name AND d.resolved_at IS NULL) AS active_diagnoses,
    (SELECT f.info FROM firewall_info f WHERE f.host = h.name) AS firewall
  FROM hosts h`;

const TREND = (where: string) => `SELECT rr.host, rr.bucket, sum(rr.d_packets)::int8 AS p
  FROM rules r JOIN rule_rollup_1m rr ON rr.host = r.host AND rr.rule_id = r.id AND rr.bucket >= $1
  WHERE ${where} r.verdict IN ('drop', 'reject') AND (r.removed_at IS NULL OR r.removed_at >= $1)
  GROUP BY rr.host, rr.bucket`;

/** Hosts and the collector connection state of each, on PostgreSQL. */
export class PgHosts {
  readonly #pool: pg.Pool;
  readonly #hubId: string;

  constructor(pool: pg.Pool, hubId: string) {
    this.#pool = pool;
    this.#hubId = hubId;
  }

  /**
   * A collector said hello on this hub: record what it runs and that this hub serves it now, unless another
   * live hub serves the host from another stream (HostTakenError). Other hubs are notified.
   */
  async hello(hello: Hello, now: number): Promise<void> {
    const { rows } = await this.#pool.query<{ name: string }>({
      name: 'ftpscope_host_hello',
      text: `INSERT INTO hosts (name, kernel, backends, capabilities, collector_version, connected, last_seen, hub_id,
          stream_id)
        VALUES ($1, $2, $3, $4, $5, true, $6, $7, $8)
        ON CONFLICT (name) DO UPDATE SET kernel = excluded.kernel, backends = excluded.backends,
          capabilities = excluded.capabilities, collector_version = excluded.collector_version, connected = true,
          last_seen = excluded.last_seen, hub_id = excluded.hub_id, stream_id = excluded.stream_id
        WHERE NOT (hosts.connected AND hosts.hub_id IS DISTINCT FROM excluded.hub_id
          AND hosts.stream_id IS DISTINCT FROM excluded.stream_id AND ${hubAlive('hosts.hub_id', '$6')})
        RETURNING name`,
      values: [
        hello.host,
        hello.kernel,
        JSON.stringify(hello.backends),
        JSON.stringify(hello.capabilities),
        hello.collectorVersion,
        now,
        this.#hubId,
        hello.streamId,
      ],
    });
    if (rows.length === 0) {
      const holder = await this.#pool.query<{ hub_id: string }>('SELECT hub_id FROM hosts WHERE name = $1', [
        hello.host,
      ]);
      throw new HostTakenError(hello.host, holder.rows[0]?.hub_id ?? '?');
    }
    await notify(this.#pool, { o: this.#hubId, k: 'h', h: hello.host });
  }

  /** Only the hub serving the host changes its state: a hub that lost it to another must not mark it down. */
  async setConnected(name: string, connected: boolean, now: number): Promise<void> {
    const r = await this.#pool.query({
      name: 'ftpscope_host_connected',
      text: 'UPDATE hosts SET connected = $2, last_seen = $3 WHERE name = $1 AND hub_id = $4',
      values: [name, connected, now, this.#hubId],
    });
    if ((r.rowCount ?? 0) > 0) await notify(this.#pool, { o: this.#hubId, k: 'h', h: name });
  }

  /** At start: the hosts this hub served are not connected (any more). */
  async disconnectAll(): Promise<void> {
    await this.#pool.query('UPDATE hosts SET connected = false WHERE connected AND hub_id = $1', [
      this.#hubId,
    ]);
  }

  async list(now: number): Promise<HostRecord[]> {
    const trends = await this.#trends(null, now);
    const { rows } = await this.#pool.query<HostRow>({
      name: 'ftpscope_hosts_list',
      text: `${SUMMARY} ORDER BY h.name COLLATE "C"`,
      values: [now],
    });
    return rows.map((r) => toRecord(r, trends));
  }

  async get(name: string, now: number): Promise<HostRecord | undefined> {
    const { rows } = await this.#pool.query<HostRow>({
      name: 'ftpscope_hosts_get',
      text: `${SUMMARY} WHERE h.name = $2`,
      values: [now, name],
    });
    return rows[0] && toRecord(rows[0], await this.#trends(name, now));
  }

  async #trends(name: string | null, now: number): Promise<Map<string, number[]>> {
    const from = Math.floor(now / MINUTE) * MINUTE - (TREND_MINUTES - 1) * MINUTE;
    const { rows } = await this.#pool.query<{ host: string; bucket: number; p: number }>(
      name === null
        ? { name: 'ftpscope_trend_all', text: TREND(''), values: [from] }
        : { name: 'ftpscope_trend_one', text: TREND('r.host = $2 AND'), values: [from, name] },
    );
    const trends = new Map<string, number[]>();
    for (const r of rows) {
      const i = (r.bucket - from) / MINUTE;
      if (i >= TREND_MINUTES) continue; // a collector clock ahead of ours
      const t = trends.get(r.host) ?? new Array<number>(TREND_MINUTES).fill(0);
      t[i] = r.p;
      trends.set(r.host, t);
    }
    return trends;
  }
}

function toRecord(r: HostRow, trends: Map<string, number[]>): HostRecord {
  return {
    name: r.name,
    connected: r.connected,
    lastSeen: r.last_seen,
    kernel: r.kernel,
    backends: r.backends,
    activeSessions: r.active_sessions,
    openExpectations: r.open_expectations,
    dropsPerMinute: r.drops_last_minute,
    dropsTrend: trends.get(r.name) ?? new Array<number>(TREND_MINUTES).fill(0),
    activeDiagnoses: r.active_diagnoses,
    ...(r.firewall ? { firewall: r.firewall } : {}),
  };
}
