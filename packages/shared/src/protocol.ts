import { type Static, Type as T } from '@sinclair/typebox';
import {
  Backend,
  DataConnection,
  DroppedPacket,
  Expectation,
  FtpServerSettings,
  FtpSession,
  Gap,
  HostName,
  Millis,
  NetfilterHealth,
  RuleCounter,
  RuleDef,
  RulesetDiff,
} from './domain.ts';
import { FirewallInfo } from './firewall.ts';
import { TraceEnd, TracePcap, TraceStart, TraceSteps, TraceStop } from './trace.ts';

/** Bumped on any incompatible change of the collector<->hub messages. */
export const PROTOCOL_VERSION = 1;

/** Largest frame either side accepts (bytes); the hub closes larger ones with 1009. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** Largest number of events in one batch. */
export const MAX_BATCH_EVENTS = 5000;

// ---- events carried in batches. Each is a full state (idempotent upsert) or an append. ----

/** The full state of one control session (upsert by id). */
export const SessionEvent = T.Object({ kind: T.Literal('session'), session: FtpSession });
/** The full state of one FTP-helper expectation (upsert by id). */
export const ExpectationEvent = T.Object({ kind: T.Literal('expectation'), expectation: Expectation });
/** The full state of one data connection (upsert by id). */
export const DataEvent = T.Object({ kind: T.Literal('data'), data: DataConnection });
/**
 * The full rule list, sent at start and whenever the rule text changes (diff null at start). `at` is when
 * nf_tables announced the change; a change found by a poll alone (iptables-legacy has no notifications) happened
 * after `notBefore` and by `at`.
 */
export const RulesetEvent = T.Object({
  kind: T.Literal('ruleset'),
  at: Millis,
  rules: T.Array(RuleDef, { maxItems: 100000 }),
  diff: T.Union([RulesetDiff, T.Null()]),
  notBefore: T.Optional(Millis),
  /** The change's one id (sent with a diff): the hub stores it; API, diagnoses and UI link by it. Optional: older collectors send none. */
  changeId: T.Optional(T.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$' })),
});
export type RulesetEvent = Static<typeof RulesetEvent>;

/** The id of the change a ruleset event reports: the collector's, or its time for collectors that send none. */
export function rulesetChangeId(e: Pick<RulesetEvent, 'at' | 'changeId'>): string {
  return e.changeId ?? String(e.at);
}
/** Counters of the rules whose counters moved in one poll (plus every policy). */
export const CountersEvent = T.Object({
  kind: T.Literal('counters'),
  at: Millis,
  intervalMs: T.Integer({ minimum: 1 }),
  counters: T.Array(RuleCounter, { maxItems: 100000 }),
});
/** One packet logged to NFLOG (append). */
export const DropEvent = T.Object({ kind: T.Literal('drop'), drop: DroppedPacket });
/** A netfilter health sample, sent when it changes and at least once a minute (append). */
export const HealthEvent = T.Object({ kind: T.Literal('health'), health: NetfilterHealth });
/** The FTP server's settings, read from its config when the collector starts (replaces the last). */
export const SettingsEvent = T.Object({ kind: T.Literal('settings'), settings: FtpServerSettings });
/** The host's firewall manager, sent at start and when it changes (replaces the last). */
export const FirewallEvent = T.Object({ kind: T.Literal('firewall'), firewall: FirewallInfo });
/** Something the collector could not see (append). */
export const GapEvent = T.Object({ kind: T.Literal('gap'), gap: Gap });
/**
 * Sent after every (re)synchronisation with the kernel: sessions of this host that are not listed
 * here are over, so nothing stays open forever across collector restarts.
 */
export const SyncEvent = T.Object({
  kind: T.Literal('sync'),
  at: Millis,
  activeSessionIds: T.Array(T.String({ maxLength: 128 })),
});

/** Any event a batch carries, discriminated by `kind`. */
export const CollectorEvent = T.Union([
  SessionEvent,
  ExpectationEvent,
  DataEvent,
  RulesetEvent,
  CountersEvent,
  DropEvent,
  HealthEvent,
  SettingsEvent,
  GapEvent,
  SyncEvent,
  FirewallEvent,
]);
export type CollectorEvent = Static<typeof CollectorEvent>;

// ---- collector -> hub ----

/** First collector message on a connection: who it is and where its spool stands. */
export const Hello = T.Object({
  type: T.Literal('hello'),
  protocolVersion: T.Integer(),
  host: HostName,
  collectorVersion: T.String({ maxLength: 64 }),
  kernel: T.String({ maxLength: 128 }),
  backends: T.Array(Backend),
  capabilities: T.Array(T.String({ maxLength: 64 })),
  /** Identifies one spool: sequences are unique within a stream. A new spool starts a new stream. */
  streamId: T.String({ pattern: '^[A-Za-z0-9-]{8,64}$' }),
  /** Highest sequence this collector has produced so far (0 if none). */
  lastSeq: T.Integer({ minimum: 0 }),
});
export type Hello = Static<typeof Hello>;

/** Events in sequence order; the hub commits a batch whole and acks its seq. */
export const Batch = T.Object({
  type: T.Literal('batch'),
  seq: T.Integer({ minimum: 1 }),
  sentAt: Millis,
  events: T.Array(CollectorEvent, { maxItems: MAX_BATCH_EVENTS }),
});
export type Batch = Static<typeof Batch>;

/** Any collector -> hub message, discriminated by `type` (trace-* only in answer to the hub's trace-start). */
export const CollectorMessage = T.Union([Hello, Batch, TraceSteps, TracePcap, TraceEnd]);
export type CollectorMessage = Static<typeof CollectorMessage>;

// ---- hub -> collector ----

/** Reply to hello: the highest sequence of this stream the hub has stored (resend from lastSeq+1). */
export const Welcome = T.Object({
  type: T.Literal('welcome'),
  protocolVersion: T.Integer(),
  lastSeq: T.Integer({ minimum: 0 }),
});
/** Every batch up to and including seq is committed to the database. */
export const Ack = T.Object({ type: T.Literal('ack'), seq: T.Integer({ minimum: 0 }) });

/** Any hub -> collector message, discriminated by `type` (trace-* only to collectors with the `trace` capability). */
export const HubMessage = T.Union([Welcome, Ack, TraceStart, TraceStop]);
export type HubMessage = Static<typeof HubMessage>;
