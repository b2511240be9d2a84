import type { Batch, CollectorEvent, Diagnosis, Hello, NetfilterHealth } from '@ftpscope/shared';
import type {
  DiagnosisFilter,
  DialogueRecord,
  DropFilter,
  DropMinute,
  DropRecord,
  GapFilter,
  GapRecord,
  HostHealthRecord,
  HostRecord,
  InvestigateSession,
  InvestigateSubject,
  NamedRule,
  RuleRecord,
  RulesetChangeRecord,
  SeriesBucket,
  SessionFilter,
  SessionRecord,
  TimelineFilter,
  TimelineRecords,
  TraceRecord,
} from './records.ts';

/** Where an engine reports what it noticed (the hub's pino logger fits). */
export interface StoreLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Hosts and the collector connection state of each. */
export interface HostsStore {
  /**
   * A collector said hello for this host on this hub: record what it runs and mark it connected. Throws
   * HostTakenError while another live hub serves the host from another stream.
   */
  hello(hello: Hello, now: number): Promise<void>;
  /** Connection state changed. */
  setConnected(name: string, connected: boolean, now: number): Promise<void>;
  /** Every host with its live summary, by name. */
  list(now: number): Promise<HostRecord[]>;
  /** One host, or undefined. */
  get(name: string, now: number): Promise<HostRecord | undefined>;
}

/** Exactly-once bookkeeping: the highest sequence stored per (host, collector stream). */
export interface StreamsStore {
  /** 0 when nothing of this stream was stored yet. */
  lastSeq(host: string, streamId: string): Promise<number>;
  /**
   * A collector attached this stream to this hub: from now on this hub writes it (another hub that wrote it
   * before gets StreamMovedError), waiting for a batch of it still being stored elsewhere. Returns lastSeq.
   */
  attach(host: string, streamId: string, now: number): Promise<number>;
}

/** FTP control sessions with their expectations and data connections. */
export interface SessionsStore {
  /** Sessions of one host, newest first. */
  list(f: SessionFilter): Promise<SessionRecord[]>;
  /** One session by id (the newest if two hosts reuse an id). */
  get(id: string): Promise<SessionRecord | undefined>;
  /** The FTP dialogue of one session as last reported (PASS masked), or null when none was. */
  dialogue(host: string, sessionId: string): Promise<DialogueRecord | null>;
}

/**
 * The small questions Investigate asks, each answered with domain records: what they mean is decided in
 * investigate/, not in the engines.
 */
export interface InvestigateStore {
  /** Sessions of the subject overlapping [from, to], with attempts and verbs: the newest `limit`, oldest first. */
  sessions(s: InvestigateSubject, from: number, to: number, limit: number): Promise<InvestigateSession[]>;
  /** The rules (current or removed) of a host with these ids. */
  rules(host: string, ids: string[]): Promise<NamedRule[]>;
  /** The current rules and policy of the chain a rule is in (and that rule, even if removed since), in order. */
  chainOf(host: string, ruleId: string): Promise<NamedRule[]>;
  /** Packets dropped or rejected per host per minute by rule counters (any client), oldest first. */
  dropMinutes(hosts: string[], from: number, to: number): Promise<DropMinute[]>;
  /** Logged drops (NFLOG, traced) from or to these addresses per host per minute, oldest first. */
  clientDropMinutes(ips: string[], from: number, to: number): Promise<DropMinute[]>;
  /** When the subject's last data channel on `host` worked, in [since, before), or null. */
  lastOkBefore(s: InvestigateSubject, host: string, since: number, before: number): Promise<number | null>;
  /** The last ruleset change of a host at or before `at` (the ruleset in force then), or null. */
  lastChangeBefore(host: string, at: number): Promise<RulesetChangeRecord | null>;
}

/** Rules with their counters, series and ruleset changes. */
export interface RulesStore {
  /** Current rules of a host in chain order, policies first, with drops over the last minute. */
  list(host: string, now: number): Promise<RuleRecord[]>;
  /** True when the host has (or had) this rule. */
  exists(host: string, ruleId: string): Promise<boolean>;
  /** Counter deltas in the buckets of seriesGrid(from, to, stepMs), empty buckets as zeros. */
  series(
    host: string,
    ruleId: string,
    from: number,
    to: number,
    stepMs: number,
  ): Promise<{ tier: 'raw' | '1m'; buckets: SeriesBucket[] }>;
  /** Ruleset changes of a host in a window, oldest first. */
  changes(host: string, from: number, to: number): Promise<RulesetChangeRecord[]>;
}

/** Appended host records: dropped packets, gaps, health samples and the FTP server settings. */
export interface EventsStore {
  /** Dropped packets, newest first. */
  drops(f: DropFilter): Promise<DropRecord[]>;
  /** Gaps in what collectors could see, newest first. */
  gaps(f: GapFilter): Promise<GapRecord[]>;
  /** The newest health sample and the FTP server settings of one host. */
  hostHealth(host: string): Promise<HostHealthRecord>;
  /** The newest health sample (by sample time) of every host that reported one, by host name. */
  latestHealth(): Promise<{ host: string; health: NetfilterHealth }[]>;
}

/** Diagnoses written by the engine (one row per occurrence) and read by the API. */
export interface DiagnosesStore {
  /** Stores the full state of a diagnosis occurrence. */
  upsert(d: Diagnosis): Promise<void>;
  /** Stores a transition and, when `alert` is given, its alert in the outbox, in one transaction. */
  record(d: Diagnosis, alert: AlertEvent | null, now: number): Promise<void>;
  /** Open ones first, then newest first. */
  list(f: DiagnosisFilter): Promise<Diagnosis[]>;
}

/** A collector token the hub issued (times in epoch ms; the token itself is never stored). */
export interface CollectorToken {
  id: string;
  host: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** Issued collector tokens, looked up by the SHA-256 of the token a collector presents. */
export interface CollectorTokensStore {
  /** Stores a new token's hash for one host. */
  create(t: { id: string; host: string; hash: Buffer; createdAt: number }): Promise<CollectorToken>;
  /** Every token, newest first (revoked ones included). */
  list(): Promise<CollectorToken[]>;
  get(id: string): Promise<CollectorToken | null>;
  /** The token with this hash if it is not revoked. */
  findActive(hash: Buffer): Promise<CollectorToken | null>;
  /** A collector used the token (connected or disconnected) now. */
  touch(id: string, now: number): Promise<void>;
  /** Revokes once (a second revoke keeps the first time); null for an unknown id. */
  revoke(id: string, now: number): Promise<CollectorToken | null>;
}

/** On-demand traces and their pcaps. */
export interface TracesStore {
  /** Records a trace as it starts. */
  start(t: TraceRecord): Promise<void>;
  /** Records how a trace ended, its steps and its pcap, in one transaction. */
  finish(t: TraceRecord, pcap: Buffer): Promise<void>;
  /** One trace with its steps; null when unknown. */
  get(id: string): Promise<TraceRecord | null>;
  /** Traces, newest first, without their steps. */
  list(host: string | null, limit: number): Promise<TraceRecord[]>;
  /** The stored pcap of a trace (null when it has none). */
  pcap(id: string): Promise<Buffer | null>;
  /** Traces this hub left running when it stopped are over (at start). */
  interruptRunning(at: number): Promise<number>;
  /** True when the host has seen an FTP session from this client address (within retention). */
  clientKnown(host: string, ip: string): Promise<boolean>;
}

/** What an alert says happened to a diagnosis. */
export type AlertEvent = 'opened' | 'resolved';

/** An alert of the outbox, for this hub to send. */
export interface PendingAlert {
  /** `<diagnosis id>|<event>`: one alert per occurrence and event, also the webhook's idempotency key. */
  key: string;
  event: AlertEvent;
  diagnosis: Diagnosis;
}

/** The alert outbox: every alert is sent by one hub, once. */
export interface AlertsStore {
  /** Takes up to `limit` alerts nobody sends (unclaimed, or claimed by a hub that is gone), oldest first. */
  claim(limit: number, now: number): Promise<PendingAlert[]>;
  /** The alert was delivered (or given up after its retries): it is never sent again. */
  done(key: string, now: number): Promise<void>;
}

/** Which hub evaluates a host's diagnoses: one at a time. */
export interface LeasesStore {
  /** Takes or renews this hub's lease on each host until now + ttlMs; resolves with the hosts this hub holds. */
  acquire(hosts: string[], now: number, ttlMs: number): Promise<string[]>;
  /** Gives up a host (its collector left this hub). */
  release(host: string): Promise<void>;
}

/** A change another hub committed, as this hub's browsers need it. */
export type RemoteChange =
  | { kind: 'batch'; host: string; events: CollectorEvent[] }
  | { kind: 'host'; host: string; connected: boolean; at: number }
  | { kind: 'diagnosis'; diagnosis: Diagnosis };

/** Who listens to the feed: the change handler, and which hosts this hub's browsers follow. */
export interface FeedSubscriber {
  onChange(c: RemoteChange): void;
  /** Whether a browser here follows the host now: other hubs' batches of other hosts are not read. */
  follows(host: string): boolean;
  /** The hosts browsers here follow ('*': all): other hubs only publish their batches of these. */
  following(): '*' | string[];
}

/** Changes committed by the other hubs on the same database (nothing with an engine only one hub uses). */
export interface Feed {
  subscribe(subscriber: FeedSubscriber): void;
}

/** Tables whose rows tests and /metrics count. */
export type CountedTable =
  | 'sessions'
  | 'expectations'
  | 'data_connections'
  | 'data_channels'
  | 'session_dialogues'
  | 'rule_samples'
  | 'rule_rollup_1m'
  | 'drops'
  | 'gaps'
  | 'health_samples'
  | 'ruleset_changes'
  | 'diagnoses'
  | 'streams'
  | 'traces'
  | 'trace_pcaps';

/** Deletes history past its retention on a timer. */
export interface Pruner {
  /** Deletes everything past its retention now; returns rows (or partitions' rows) removed per table. */
  pruneOnce(): Promise<Record<string, number>>;
  /** Prunes now and then every intervalMs; errors are reported, never thrown. */
  start(intervalMs: number, onError: (err: Error) => void): void;
  /** Stops the timer and waits for a running prune. */
  stop(): Promise<void>;
}

/**
 * Everything the hub keeps. The only door to the database: routes, ingest, live and diagnoses use this
 * interface and never know which engine (SQLite or PostgreSQL) runs behind it.
 */
export interface Store {
  readonly hosts: HostsStore;
  readonly streams: StreamsStore;
  readonly sessions: SessionsStore;
  readonly rules: RulesStore;
  readonly events: EventsStore;
  readonly diagnoses: DiagnosesStore;
  readonly collectorTokens: CollectorTokensStore;
  readonly traces: TracesStore;
  readonly investigate: InvestigateStore;
  readonly alerts: AlertsStore;
  readonly leases: LeasesStore;
  readonly feed: Feed;
  readonly retention: Pruner;
  /** This hub's name (--hub-id), as the database knows it. */
  readonly hubId: string;
  /** Where the data lives, for logs (passwords masked). */
  readonly location: string;
  /**
   * Stores one batch and advances the stream's sequence in ONE transaction: fully stored or not at all.
   * Resolves false for a sequence already stored (a resend): nothing is written.
   */
  writeBatch(host: string, streamId: string, batch: Batch, now: number): Promise<boolean>;
  /** Everything about one client (or host) in a window, for the investigation timeline. */
  timeline(f: TimelineFilter): Promise<TimelineRecords>;
  /** At start: no collector is connected yet, whatever the last run left behind. */
  disconnectAll(): Promise<void>;
  /** Rows of a table (tests and /metrics). */
  count(table: CountedTable): Promise<number>;
  /** The schema version the migrations reached. */
  schemaVersion(): Promise<number>;
  /** 'ok' when the database checks out sound (SQLite: PRAGMA integrity_check). */
  integrityCheck(): Promise<string>;
  close(): Promise<void>;
}
