import type { Batch, Diagnosis, Hello } from '@ftpscope/shared';
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
import type { AlertEvent, CountedTable, Feed, Store } from '../store.ts';
import { AlertsRepo } from './alerts.ts';
import { CollectorTokensRepo } from './collector-tokens.ts';
import { type Db, openDatabase } from './db.ts';
import { DiagnosesRepo } from './diagnoses.ts';
import { EventsRepo } from './events.ts';
import { HostsRepo } from './hosts.ts';
import { createBatchWriter } from './ingest.ts';
import { InvestigateRepo } from './investigate.ts';
import { Retention } from './retention.ts';
import { RulesRepo } from './rules.ts';
import { SessionsRepo } from './sessions.ts';
import { StreamsRepo } from './streams.ts';
import { TimelineQuery } from './timeline.ts';
import { TracesRepo } from './traces.ts';

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  now: () => number;
  hubId?: string;
  retention?: RetentionPolicy;
  pruneChunkRows?: number;
}

/**
 * The embedded engine: one SQLite file opened by one hub (EXCLUSIVE locking), synchronous better-sqlite3
 * repositories behind the asynchronous Store interface.
 */
export class SqliteStore implements Store {
  readonly #db: Db;
  readonly #hosts: HostsRepo;
  readonly #streams: StreamsRepo;
  readonly #sessions: SessionsRepo;
  readonly #rules: RulesRepo;
  readonly #events: EventsRepo;
  readonly #diagnoses: DiagnosesRepo;
  readonly #timeline: TimelineQuery;
  readonly #writeBatch: ReturnType<typeof createBatchWriter>;
  readonly #tokens: CollectorTokensRepo;
  readonly #alerts: AlertsRepo;
  readonly #traces: TracesRepo;
  readonly #investigate: InvestigateRepo;
  readonly retention: Retention;
  readonly location: string;
  readonly hubId: string;

  constructor(file: string, opts: SqliteStoreOptions) {
    this.location = `sqlite:${file}`;
    this.hubId = opts.hubId ?? 'hub';
    this.#db = openDatabase(file);
    this.#hosts = new HostsRepo(this.#db);
    this.#streams = new StreamsRepo(this.#db);
    this.#sessions = new SessionsRepo(this.#db);
    this.#rules = new RulesRepo(this.#db);
    this.#events = new EventsRepo(this.#db);
    this.#diagnoses = new DiagnosesRepo(this.#db);
    this.#alerts = new AlertsRepo(this.#db, this.#diagnoses, this.hubId);
    this.#timeline = new TimelineQuery(this.#db, this.#sessions, this.#diagnoses);
    this.retention = new Retention(this.#db, opts.retention ?? DEFAULT_RETENTION, {
      now: opts.now,
      ...(opts.pruneChunkRows !== undefined && { chunkRows: opts.pruneChunkRows }),
    });
    this.#tokens = new CollectorTokensRepo(this.#db);
    this.#traces = new TracesRepo(this.#db);
    this.#investigate = new InvestigateRepo(this.#db);
    this.#writeBatch = createBatchWriter(this.#db, {
      hosts: this.#hosts,
      streams: this.#streams,
      sessions: this.#sessions,
      rules: this.#rules,
      events: this.#events,
    });
  }

  readonly hosts = {
    hello: async (hello: Hello, now: number) => this.#hosts.hello(hello, now),
    setConnected: async (name: string, connected: boolean, now: number) =>
      this.#hosts.setConnected(name, connected, now),
    list: async (now: number) => this.#hosts.list(now),
    get: async (name: string, now: number) => this.#hosts.get(name, now),
  };

  readonly streams = {
    lastSeq: async (host: string, streamId: string) => this.#streams.lastSeq(host, streamId),
    // One hub per file (EXCLUSIVE locking): attaching is reading where the stream stands.
    attach: async (host: string, streamId: string) => this.#streams.lastSeq(host, streamId),
  };

  readonly sessions = {
    list: async (f: SessionFilter) => this.#sessions.list(f),
    get: async (id: string) => this.#sessions.get(id),
    dialogue: async (host: string, sessionId: string) => this.#sessions.dialogues.get(host, sessionId),
  };

  readonly investigate = {
    sessions: async (s: InvestigateSubject, from: number, to: number, limit: number) =>
      this.#investigate.sessions(s, from, to, limit),
    rules: async (host: string, ids: string[]) => this.#investigate.rules(host, ids),
    chainOf: async (host: string, ruleId: string) => this.#investigate.chainOf(host, ruleId),
    dropMinutes: async (hosts: string[], from: number, to: number) =>
      this.#investigate.dropMinutes(hosts, from, to),
    clientDropMinutes: async (ips: string[], from: number, to: number) =>
      this.#investigate.clientDropMinutes(ips, from, to),
    lastOkBefore: async (s: InvestigateSubject, host: string, since: number, before: number) =>
      this.#investigate.lastOkBefore(s, host, since, before),
    lastChangeBefore: async (host: string, at: number) => this.#investigate.lastChangeBefore(host, at),
  };

  readonly rules = {
    list: async (host: string, now: number) => this.#rules.list(host, now),
    exists: async (host: string, ruleId: string) => this.#rules.exists(host, ruleId),
    series: async (host: string, ruleId: string, from: number, to: number, stepMs: number) =>
      this.#rules.series(host, ruleId, from, to, stepMs),
    changes: async (host: string, from: number, to: number) => this.#rules.changes(host, from, to),
  };

  readonly events = {
    drops: async (f: DropFilter) => this.#events.drops(f),
    gaps: async (f: GapFilter) => this.#events.gaps(f),
    hostHealth: async (host: string) => this.#events.hostHealth(host),
    latestHealth: async () => this.#events.latestHealth(),
  };

  readonly diagnoses = {
    upsert: async (d: Diagnosis) => this.#diagnoses.upsert(d),
    record: async (d: Diagnosis, alert: AlertEvent | null, now: number) => this.#alerts.record(d, alert, now),
    list: async (f: DiagnosisFilter) => this.#diagnoses.list(f),
  };

  readonly collectorTokens = {
    create: async (t: { id: string; host: string; hash: Buffer; createdAt: number }) =>
      this.#tokens.create(t),
    list: async () => this.#tokens.list(),
    get: async (id: string) => this.#tokens.get(id),
    findActive: async (hash: Buffer) => this.#tokens.findActive(hash),
    touch: async (id: string, now: number) => this.#tokens.touch(id, now),
    revoke: async (id: string, now: number) => this.#tokens.revoke(id, now),
  };

  readonly traces = {
    start: async (t: TraceRecord) => this.#traces.start(t),
    finish: async (t: TraceRecord, pcap: Buffer) => this.#traces.finish(t, pcap),
    get: async (id: string) => this.#traces.get(id),
    list: async (host: string | null, limit: number) => this.#traces.list(host, limit),
    pcap: async (id: string) => this.#traces.pcap(id),
    interruptRunning: async (at: number) => this.#traces.interruptRunning(at),
    clientKnown: async (host: string, ip: string) => this.#traces.clientKnown(host, ip),
  };

  readonly alerts = {
    claim: async (limit: number) => this.#alerts.claim(limit),
    done: async (key: string, now: number) => this.#alerts.done(key, now),
  };

  // One hub per file: it evaluates every host and no other hub changes anything.
  readonly leases = {
    acquire: async (hosts: string[]) => hosts,
    release: async () => {},
  };

  readonly feed: Feed = { subscribe: () => {} };

  async writeBatch(host: string, streamId: string, batch: Batch, now: number): Promise<boolean> {
    return this.#writeBatch(host, streamId, batch, now);
  }

  async timeline(f: TimelineFilter) {
    return this.#timeline.run(f);
  }

  async disconnectAll(): Promise<void> {
    this.#hosts.disconnectAll();
  }

  async count(table: CountedTable): Promise<number> {
    return this.#db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  }

  async schemaVersion(): Promise<number> {
    return this.#db.pragma('user_version', { simple: true }) as number;
  }

  async integrityCheck(): Promise<string> {
    return String(this.#db.pragma('integrity_check', { simple: true }));
  }

  async close(): Promise<void> {
    await this.retention.stop();
    if (this.#db.open) this.#db.close();
  }
}
