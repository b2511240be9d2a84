import type { Batch, Diagnosis, Hello } from '@ftpscope/shared';
import type pg from 'pg';
import type {
  DiagnosisFilter,
  DropFilter,
  GapFilter,
  InvestigateSubject,
  SessionFilter,
  TimelineFilter,
  TraceRecord,
} from '../records.ts';
import { DEFAULT_RETENTION, type RetentionPolicy } from '../retention-policy.ts';
import type { AlertEvent, CountedTable, Store, StoreLog } from '../store.ts';
import { maskPassword } from '../store-spec.ts';
import { PgAlerts } from './alerts.ts';
import { PgCollectorTokens } from './collector-tokens.ts';
import { createPool, openError } from './connect.ts';
import { PgDiagnoses } from './diagnoses.ts';
import { PgEvents } from './events.ts';
import { notify, PgFeed } from './feed.ts';
import { PgHealth } from './health.ts';
import { PgHosts } from './hosts.ts';
import { PgHubs } from './hubs.ts';
import { PgInvestigate } from './investigate.ts';
import { migrate, schemaVersion } from './migrate.ts';
import { Partitions } from './partitions.ts';
import { PgRetention } from './retention.ts';
import { PgRules } from './rules.ts';
import { PgSessions } from './sessions.ts';
import { PgTimeline } from './timeline.ts';
import { PgTraces } from './traces.ts';
import { PgBatchWriter } from './write-batch.ts';

/** Options of the PostgreSQL store. */
export interface PgStoreOptions {
  now: () => number;
  retention?: RetentionPolicy;
  /** This hub's name: which hub serves a host and owns a stream (several hubs share one database). */
  hubId: string;
  log: StoreLog;
}

// `sessions` counts every session: the open and recent ones plus the finished ones moved to sessions_done.
const COUNTED: Record<CountedTable, string> = {
  sessions: 'all_sessions',
  expectations: 'expectations',
  data_connections: 'data_connections',
  data_channels: 'data_channels',
  session_dialogues: 'session_dialogues',
  rule_samples: 'rule_samples',
  rule_rollup_1m: 'rule_rollup_1m',
  drops: 'drops',
  gaps: 'gaps',
  health_samples: 'health_samples',
  ruleset_changes: 'ruleset_changes',
  diagnoses: 'diagnoses',
  streams: 'streams',
  traces: 'traces',
  trace_pcaps: 'trace_pcaps',
};

/**
 * The server engine: a pool of connections to a PostgreSQL database that several hubs may share. Batches are
 * written in one transaction each with their stream's row locked; history is partitioned by day.
 */
export class PgStore implements Store {
  readonly location: string;
  readonly pool: pg.Pool;
  readonly health: PgHealth;
  readonly partitions: Partitions;
  readonly writer: PgBatchWriter;
  readonly retention: PgRetention;
  readonly hubs: PgHubs;
  readonly feed: PgFeed;
  readonly hubId: string;
  readonly #alerts: PgAlerts;
  readonly #tokens: PgCollectorTokens;
  readonly #hosts: PgHosts;
  readonly #sessions: PgSessions;
  readonly #rules: PgRules;
  readonly #events: PgEvents;
  readonly #diagnoses: PgDiagnoses;
  readonly #timeline: PgTimeline;
  readonly #traces: PgTraces;
  readonly #investigate: PgInvestigate;

  private constructor(url: string, opts: PgStoreOptions) {
    this.location = maskPassword(url);
    this.hubId = opts.hubId;
    this.health = new PgHealth(url, opts.log);
    this.pool = createPool(url, (err) => this.health.failed(err));
    const policy = opts.retention ?? DEFAULT_RETENTION;
    this.partitions = new Partitions(this.pool, policy, opts.now);
    this.writer = new PgBatchWriter(this.pool, this.partitions, opts.hubId);
    this.retention = new PgRetention(this.pool, this.partitions, policy, { now: opts.now });
    this.#hosts = new PgHosts(this.pool, opts.hubId);
    this.#sessions = new PgSessions(this.pool);
    this.#rules = new PgRules(this.pool);
    this.#events = new PgEvents(this.pool);
    this.#diagnoses = new PgDiagnoses(this.pool);
    this.#timeline = new PgTimeline(this.pool, this.#sessions, this.#diagnoses);
    this.hubs = new PgHubs(this.pool, opts.hubId, opts.now);
    this.feed = new PgFeed(url, this.pool, opts.hubId, opts.now, opts.log);
    this.#alerts = new PgAlerts(this.pool, opts.hubId);
    this.#tokens = new PgCollectorTokens(this.pool);
    this.#traces = new PgTraces(this.pool);
    this.#investigate = new PgInvestigate(this.pool);
    this.hubs.following = () => this.feed.following();
    // Other hubs' browsers get each stored batch: its events for a minute, a notification with its keys.
    this.writer.afterWrite = async (client, host, streamId, batch, now) => {
      if (batch.events.length === 0 || !this.hubs.othersFollow(host)) return;
      await client.query({
        name: 'ftpscope_live_batch',
        text: 'INSERT INTO live_batches (host, stream_id, seq, at, events) VALUES ($1, $2, $3, $4, $5)',
        values: [host, streamId, batch.seq, now, JSON.stringify(batch.events)],
      });
      await notify(client, { o: opts.hubId, k: 'b', h: host, s: streamId, q: batch.seq });
    };
  }

  /** Connects, applies pending migrations and creates today's partitions; StoreOpenError names URL and cause. */
  static async open(url: string, opts: PgStoreOptions): Promise<PgStore> {
    const store = new PgStore(url, opts);
    try {
      await migrate(store.pool);
      await store.partitions.init();
      await store.hubs.start((err) => store.health.failed(err));
      await store.feed.start();
      return store;
    } catch (err) {
      store.hubs.stop();
      await store.feed.stop();
      await store.pool.end().catch(() => undefined);
      throw openError(url, err);
    }
  }

  readonly hosts = {
    hello: (hello: Hello, now: number) => this.health.track(() => this.#hosts.hello(hello, now)),
    setConnected: (name: string, connected: boolean, now: number) =>
      this.health.track(() => this.#hosts.setConnected(name, connected, now)),
    list: (now: number) => this.health.track(() => this.#hosts.list(now)),
    get: (name: string, now: number) => this.health.track(() => this.#hosts.get(name, now)),
  };

  readonly streams = {
    lastSeq: async (host: string, streamId: string): Promise<number> => {
      const { rows } = await this.pool.query<{ last_seq: number }>(
        'SELECT last_seq FROM streams WHERE host = $1 AND stream_id = $2',
        [host, streamId],
      );
      return rows[0]?.last_seq ?? 0;
    },
    attach: (host: string, streamId: string, now: number) =>
      this.health.track(async () => {
        // Takes the stream's row lock: waits for a batch of it that another hub is committing right now.
        const { rows } = await this.pool.query<{ last_seq: number }>({
          name: 'ftpscope_attach_stream',
          text: `INSERT INTO streams (host, stream_id, last_seq, updated_at, owner_hub) VALUES ($1, $2, 0, $3, $4)
            ON CONFLICT (host, stream_id) DO UPDATE SET owner_hub = excluded.owner_hub, updated_at = excluded.updated_at
            RETURNING last_seq`,
          values: [host, streamId, now, this.hubId],
        });
        return rows[0]?.last_seq ?? 0;
      }),
  };

  readonly sessions = {
    list: (f: SessionFilter) => this.health.track(() => this.#sessions.list(f)),
    get: (id: string) => this.health.track(() => this.#sessions.get(id)),
    dialogue: (host: string, sessionId: string) =>
      this.health.track(() => this.#investigate.dialogue(host, sessionId)),
  };

  readonly investigate = {
    sessions: (s: InvestigateSubject, from: number, to: number, limit: number) =>
      this.health.track(() => this.#investigate.sessions(s, from, to, limit)),
    rules: (host: string, ids: string[]) => this.health.track(() => this.#investigate.rules(host, ids)),
    chainOf: (host: string, ruleId: string) =>
      this.health.track(() => this.#investigate.chainOf(host, ruleId)),
    dropMinutes: (hosts: string[], from: number, to: number) =>
      this.health.track(() => this.#investigate.dropMinutes(hosts, from, to)),
    clientDropMinutes: (ips: string[], from: number, to: number) =>
      this.health.track(() => this.#investigate.clientDropMinutes(ips, from, to)),
    lastOkBefore: (s: InvestigateSubject, host: string, since: number, before: number) =>
      this.health.track(() => this.#investigate.lastOkBefore(s, host, since, before)),
    lastChangeBefore: (host: string, at: number) =>
      this.health.track(() => this.#investigate.lastChangeBefore(host, at)),
  };

  readonly rules = {
    list: (host: string, now: number) => this.health.track(() => this.#rules.list(host, now)),
    exists: (host: string, ruleId: string) => this.health.track(() => this.#rules.exists(host, ruleId)),
    series: (host: string, ruleId: string, from: number, to: number, stepMs: number) =>
      this.health.track(() => this.#rules.series(host, ruleId, from, to, stepMs)),
    changes: (host: string, from: number, to: number) =>
      this.health.track(() => this.#rules.changes(host, from, to)),
  };

  readonly events = {
    drops: (f: DropFilter) => this.health.track(() => this.#events.drops(f)),
    gaps: (f: GapFilter) => this.health.track(() => this.#events.gaps(f)),
    hostHealth: (host: string) => this.health.track(() => this.#events.hostHealth(host)),
    latestHealth: () => this.health.track(() => this.#events.latestHealth()),
  };

  readonly diagnoses = {
    upsert: (d: Diagnosis) => this.health.track(() => this.#diagnoses.upsert(d)),
    record: (d: Diagnosis, alert: AlertEvent | null, now: number) =>
      this.health.track(() => this.#alerts.record(d, alert, now)),
    list: (f: DiagnosisFilter) => this.health.track(() => this.#diagnoses.list(f)),
  };

  readonly collectorTokens = {
    create: (t: { id: string; host: string; hash: Buffer; createdAt: number }) =>
      this.health.track(() => this.#tokens.create(t)),
    list: () => this.health.track(() => this.#tokens.list()),
    get: (id: string) => this.health.track(() => this.#tokens.get(id)),
    findActive: (hash: Buffer) => this.health.track(() => this.#tokens.findActive(hash)),
    touch: (id: string, now: number) => this.health.track(() => this.#tokens.touch(id, now)),
    revoke: (id: string, now: number) => this.health.track(() => this.#tokens.revoke(id, now)),
  };

  readonly traces = {
    start: (t: TraceRecord) => this.health.track(() => this.#traces.start(t)),
    finish: (t: TraceRecord, pcap: Buffer) => this.health.track(() => this.#traces.finish(t, pcap)),
    get: (id: string) => this.health.track(() => this.#traces.get(id)),
    list: (host: string | null, limit: number) => this.health.track(() => this.#traces.list(host, limit)),
    pcap: (id: string) => this.health.track(() => this.#traces.pcap(id)),
    interruptRunning: (at: number) => this.health.track(() => this.#traces.interruptRunning(at)),
    clientKnown: (host: string, ip: string) => this.health.track(() => this.#traces.clientKnown(host, ip)),
  };

  readonly alerts = {
    claim: (limit: number, now: number) => this.health.track(() => this.#alerts.claim(limit, now)),
    done: (key: string, now: number) => this.health.track(() => this.#alerts.done(key, now)),
  };

  readonly leases = {
    // Only what reaches the server counts towards "PostgreSQL answers again".
    acquire: (hosts: string[], now: number, ttlMs: number) =>
      hosts.length === 0
        ? Promise.resolve([])
        : this.health.track(() => this.hubs.acquire(hosts, now, ttlMs)),
    release: (host: string) => this.health.track(() => this.hubs.release(host)),
  };

  writeBatch(host: string, streamId: string, batch: Batch, now: number): Promise<boolean> {
    return this.health.track(() => this.writer.write(host, streamId, batch, now));
  }

  timeline(f: TimelineFilter) {
    return this.health.track(() => this.#timeline.run(f));
  }

  async disconnectAll(): Promise<void> {
    await this.#hosts.disconnectAll();
  }

  async count(table: CountedTable): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(`SELECT count(*) AS n FROM ${COUNTED[table]}`);
    return rows[0]?.n ?? 0;
  }

  schemaVersion(): Promise<number> {
    return schemaVersion(this.pool);
  }

  async integrityCheck(): Promise<string> {
    // PostgreSQL checks its own pages (and recovers after a crash); reaching it and reading the catalogue is ours.
    await this.pool.query('SELECT count(*) FROM schema_migrations');
    return 'ok';
  }

  async close(): Promise<void> {
    this.hubs.stop();
    await this.feed.stop();
    await this.retention.stop();
    await this.pool.end();
  }
}
