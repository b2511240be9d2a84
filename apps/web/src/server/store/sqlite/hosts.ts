import type { Backend, FirewallInfo, Hello } from '@ftpscope/shared';
import { type HostRecord, TREND_MINUTES } from '../records.ts';
import type { Db } from './db.ts';

interface HostRow {
  name: string;
  kernel: string | null;
  backends: string;
  connected: number;
  last_seen: number | null;
  active_sessions: number;
  open_expectations: number;
  drops_last_minute: number;
  active_diagnoses: number;
  /** JSON FirewallInfo, or null before the collector reported one. */
  firewall: string | null;
}

const MINUTE = 60_000;

/** Hosts and the collector connection state of each. */
export class HostsRepo {
  readonly #upsertHello;
  readonly #setConnected;
  readonly #touch;
  readonly #disconnectAll;
  readonly #list;
  readonly #get;
  readonly #trend;

  constructor(db: Db) {
    this.#upsertHello = db.prepare(
      `INSERT INTO hosts (name, kernel, backends, capabilities, collector_version, connected, last_seen)
       VALUES (@name, @kernel, @backends, @capabilities, @version, 1, @now)
       ON CONFLICT(name) DO UPDATE SET kernel = excluded.kernel, backends = excluded.backends,
         capabilities = excluded.capabilities, collector_version = excluded.collector_version,
         connected = 1, last_seen = excluded.last_seen`,
    );
    this.#setConnected = db.prepare('UPDATE hosts SET connected = ?, last_seen = ? WHERE name = ?');
    this.#touch = db.prepare('UPDATE hosts SET last_seen = ? WHERE name = ?');
    this.#disconnectAll = db.prepare('UPDATE hosts SET connected = 0 WHERE connected = 1');
    // Summaries are computed on read: cheap with the partial indexes, never stale.
    const summary = `SELECT h.name, h.kernel, h.backends, h.connected, h.last_seen,
        (SELECT count(*) FROM sessions s WHERE s.host = h.name AND s.ended_at IS NULL) AS active_sessions,
        (SELECT count(*) FROM expectations e WHERE e.host = h.name AND e.fulfilled_at IS NULL
           AND e.expired_at IS NULL AND coalesce(e.seen_at, e.created_at) + e.timeout * 1000 > @now) AS open_expectations,
        (SELECT coalesce(sum(rs.d_packets), 0) FROM rules r JOIN rule_samples rs
           ON rs.host = r.host AND rs.rule_id = r.id AND rs.at > @now - 60000
           WHERE r.host = h.name AND r.verdict IN ('drop', 'reject') AND r.removed_at IS NULL) AS drops_last_minute,
        (SELECT count(*) FROM diagnoses d WHERE d.host = h.name AND d.resolved_at IS NULL) AS active_diagnoses,
        (SELECT f.info FROM firewall_info f WHERE f.host = h.name) AS firewall
      FROM hosts h`;
    this.#list = db.prepare(`${summary} ORDER BY h.name`);
    this.#get = db.prepare(`${summary} WHERE h.name = @name`);
    // CROSS JOIN keeps rules as the outer loop: each drop rule then reads ≤ 30 rollup rows through
    // UNIQUE(host, rule_id, bucket) instead of SQLite scanning 90 days of rollups.
    const trend = (where: string) =>
      db.prepare(
        `SELECT rr.host, rr.bucket, sum(rr.d_packets) AS p FROM rules r CROSS JOIN rule_rollup_1m rr
           ON rr.host = r.host AND rr.rule_id = r.id AND rr.bucket >= @from
         WHERE ${where} r.verdict IN ('drop', 'reject') AND (r.removed_at IS NULL OR r.removed_at >= @from)
         GROUP BY rr.host, rr.bucket`,
      );
    this.#trend = { all: trend(''), one: trend('r.host = @name AND') };
  }

  /** A collector said hello for this host: record what it runs and mark it connected. */
  hello(hello: Hello, now: number): void {
    this.#upsertHello.run({
      name: hello.host,
      kernel: hello.kernel,
      backends: JSON.stringify(hello.backends),
      capabilities: JSON.stringify(hello.capabilities),
      version: hello.collectorVersion,
      now,
    });
  }

  /** Connection state changed (also used at start to mark every host disconnected). */
  setConnected(name: string, connected: boolean, now: number): void {
    this.#setConnected.run(connected ? 1 : 0, now, name);
  }

  /** Data arrived from this host. */
  touch(name: string, now: number): void {
    this.#touch.run(now, name);
  }

  /** At start no collector is connected yet, whatever the last run left behind. */
  disconnectAll(): void {
    this.#disconnectAll.run();
  }

  /** Every host with its live summary. */
  list(now: number): HostRecord[] {
    const trends = this.#trends(null, now);
    return (this.#list.all({ now }) as HostRow[]).map((r) => toRecord(r, trends));
  }

  /** One host, or undefined. */
  get(name: string, now: number): HostRecord | undefined {
    const row = this.#get.get({ name, now }) as HostRow | undefined;
    return row && toRecord(row, this.#trends(name, now));
  }

  /** Drops per minute over the last TREND_MINUTES per host (one host, or all when name is null). */
  #trends(name: string | null, now: number): Map<string, number[]> {
    const from = Math.floor(now / MINUTE) * MINUTE - (TREND_MINUTES - 1) * MINUTE;
    const rows = (name === null ? this.#trend.all.all({ from }) : this.#trend.one.all({ name, from })) as {
      host: string;
      bucket: number;
      p: number;
    }[];
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
    connected: r.connected === 1,
    lastSeen: r.last_seen,
    kernel: r.kernel,
    backends: JSON.parse(r.backends) as Backend[],
    activeSessions: r.active_sessions,
    openExpectations: r.open_expectations,
    dropsPerMinute: r.drops_last_minute,
    dropsTrend: trends.get(r.name) ?? new Array<number>(TREND_MINUTES).fill(0),
    activeDiagnoses: r.active_diagnoses,
    ...(r.firewall ? { firewall: JSON.parse(r.firewall) as FirewallInfo } : {}),
  };
}
