import type { Backend, Hello, HostSummary } from '@ftpscope/shared';
import { isoOrNull } from './convert.ts';
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
}

/** Hosts and the collector connection state of each. */
export class HostsRepo {
  readonly #upsertHello;
  readonly #setConnected;
  readonly #touch;
  readonly #ensure;
  readonly #disconnectAll;
  readonly #list;
  readonly #get;

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
    this.#ensure = db.prepare('INSERT OR IGNORE INTO hosts (name) VALUES (?)');
    this.#disconnectAll = db.prepare('UPDATE hosts SET connected = 0 WHERE connected = 1');
    // Summaries are computed on read: cheap with the partial indexes, never stale.
    const summary = `SELECT h.name, h.kernel, h.backends, h.connected, h.last_seen,
        (SELECT count(*) FROM sessions s WHERE s.host = h.name AND s.ended_at IS NULL) AS active_sessions,
        (SELECT count(*) FROM expectations e WHERE e.host = h.name AND e.fulfilled_at IS NULL
           AND e.expired_at IS NULL AND e.created_at + e.timeout * 1000 > @now) AS open_expectations,
        (SELECT coalesce(sum(rs.d_packets), 0) FROM rules r JOIN rule_samples rs
           ON rs.host = r.host AND rs.rule_id = r.id AND rs.at > @now - 60000
           WHERE r.host = h.name AND r.verdict IN ('drop', 'reject') AND r.removed_at IS NULL) AS drops_last_minute,
        (SELECT count(*) FROM diagnoses d WHERE d.host = h.name AND d.resolved_at IS NULL) AS active_diagnoses
      FROM hosts h`;
    this.#list = db.prepare(`${summary} ORDER BY h.name`);
    this.#get = db.prepare(`${summary} WHERE h.name = @name`);
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

  /** Makes sure a host row exists (foreign keys). */
  ensure(name: string): void {
    this.#ensure.run(name);
  }

  /** Every host with its live summary. */
  list(now: number): HostSummary[] {
    return (this.#list.all({ now }) as HostRow[]).map(toSummary);
  }

  /** One host, or undefined. */
  get(name: string, now: number): HostSummary | undefined {
    const row = this.#get.get({ name, now }) as HostRow | undefined;
    return row && toSummary(row);
  }
}

function toSummary(r: HostRow): HostSummary {
  return {
    name: r.name,
    connected: r.connected === 1,
    lastSeen: isoOrNull(r.last_seen),
    kernel: r.kernel,
    backends: JSON.parse(r.backends) as Backend[],
    activeSessions: r.active_sessions,
    openExpectations: r.open_expectations,
    dropsPerMinute: r.drops_last_minute,
    activeDiagnoses: r.active_diagnoses,
  };
}
