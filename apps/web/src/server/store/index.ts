import { CollectorTokensRepo } from './collector-tokens.ts';
import { type Db, openDatabase } from './db.ts';
import { DiagnosesRepo } from './diagnoses.ts';
import { EventsRepo } from './events.ts';
import { HostsRepo } from './hosts.ts';
import { createBatchWriter } from './ingest.ts';
import { DEFAULT_RETENTION, Retention, type RetentionPolicy } from './retention.ts';
import { RulesRepo } from './rules.ts';
import { SessionsRepo } from './sessions.ts';
import { StreamsRepo } from './streams.ts';
import { TimelineQuery } from './timeline.ts';

export type { CollectorToken } from './collector-tokens.ts';
export { StoreOpenError } from './db.ts';
export { DEFAULT_RETENTION, type RetentionPolicy } from './retention.ts';
export { RAW_TIER_MAX_MS } from './rules.ts';

/** Everything the hub keeps, behind repositories: the only door to SQLite. */
export class Store {
  readonly #db: Db;
  readonly hosts: HostsRepo;
  readonly streams: StreamsRepo;
  readonly sessions: SessionsRepo;
  readonly rules: RulesRepo;
  readonly events: EventsRepo;
  readonly diagnoses: DiagnosesRepo;
  readonly timeline: TimelineQuery;
  readonly retention: Retention;
  readonly collectorTokens: CollectorTokensRepo;
  /** Stores one batch exactly once (see store/ingest.ts); false when it was a resend. */
  readonly writeBatch: ReturnType<typeof createBatchWriter>;

  constructor(
    file: string,
    opts: { now: () => number; retention?: RetentionPolicy; pruneChunkRows?: number },
  ) {
    this.#db = openDatabase(file);
    this.hosts = new HostsRepo(this.#db);
    this.streams = new StreamsRepo(this.#db);
    this.sessions = new SessionsRepo(this.#db);
    this.rules = new RulesRepo(this.#db);
    this.events = new EventsRepo(this.#db);
    this.diagnoses = new DiagnosesRepo(this.#db);
    this.timeline = new TimelineQuery(this.#db, this.sessions, this.diagnoses);
    this.retention = new Retention(this.#db, opts.retention ?? DEFAULT_RETENTION, {
      now: opts.now,
      ...(opts.pruneChunkRows !== undefined && { chunkRows: opts.pruneChunkRows }),
    });
    this.collectorTokens = new CollectorTokensRepo(this.#db);
    this.writeBatch = createBatchWriter(this.#db, this);
  }

  /** Schema version (PRAGMA user_version). */
  schemaVersion(): number {
    return this.#db.pragma('user_version', { simple: true }) as number;
  }

  /** Runs PRAGMA integrity_check; 'ok' when the file is sound. */
  integrityCheck(): string {
    return String(this.#db.pragma('integrity_check', { simple: true }));
  }

  /** Row count of a known table (tests and /metrics). */
  count(
    table:
      | 'sessions'
      | 'expectations'
      | 'data_connections'
      | 'data_channels'
      | 'rule_samples'
      | 'rule_rollup_1m'
      | 'drops'
      | 'gaps'
      | 'health_samples'
      | 'ruleset_changes'
      | 'diagnoses'
      | 'streams',
  ): number {
    return this.#db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  }

  /** Runs fn in one write transaction (used by the diagnoses engine to store a round at once). */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  async close(): Promise<void> {
    await this.retention.stop();
    if (this.#db.open) this.#db.close();
  }
}
