import { type Static, Type as T } from '@sinclair/typebox';
import {
  Backend,
  DataChannelAttempt,
  Diagnosis,
  DroppedPacket,
  Endpoint,
  FtpMode,
  FtpServerSettings,
  NetfilterHealth,
  PolicyChange,
  RuleMove,
  Verdict,
} from './domain.ts';
import { FirewallInfo } from './firewall.ts';
import { CollectorEvent } from './protocol.ts';
import { TraceView } from './trace.ts';

/** ISO-8601 UTC timestamp, as every REST response renders time. */
export const Iso = T.String({ format: 'date-time' });
const IsoOrNull = T.Union([Iso, T.Null()]);

/** Body of every error response: a catalogue code (`FTPSCOPE_ERR_*`) and what went wrong. */
export const ErrorBody = T.Object({ code: T.String(), message: T.String() });

// ---- query strings ----

/** Optional window (ISO); each route picks its own default when omitted. */
export const TimeRangeQuery = T.Object({
  from: T.Optional(Iso),
  to: T.Optional(Iso),
});

/** GET /api/hosts/:host/sessions: sessions overlapping `from`..`to`, newest first (limit default 500). */
export const SessionsQuery = T.Object({
  active: T.Optional(T.Boolean()),
  client: T.Optional(T.String({ maxLength: 64 })),
  from: T.Optional(Iso),
  to: T.Optional(Iso),
  limit: T.Optional(T.Integer({ minimum: 1, maximum: 10000, default: 500 })),
});

/** GET /api/hosts/:host/rules/:id/series: window (default last hour) and bucket width. */
export const SeriesQuery = T.Object({
  from: T.Optional(Iso),
  to: T.Optional(Iso),
  /** Bucket width in seconds; default picked from the range. */
  step: T.Optional(T.Integer({ minimum: 1, maximum: 86400 })),
});

/** GET /api/drops: NFLOG packets; `client` matches source or destination; default last 24 h. */
export const DropsQuery = T.Object({
  host: T.Optional(T.String({ maxLength: 64 })),
  client: T.Optional(T.String({ maxLength: 64 })),
  from: T.Optional(Iso),
  to: T.Optional(Iso),
  limit: T.Optional(T.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
});

/** GET /api/timeline: who (client, user, or only host) and the window (default last 24 h). */
export const TimelineQuery = T.Object({
  client: T.Optional(T.String({ maxLength: 64 })),
  user: T.Optional(T.String({ maxLength: 256 })),
  host: T.Optional(T.String({ maxLength: 64 })),
  from: T.Optional(Iso),
  to: T.Optional(Iso),
});

/** GET /api/gaps: what collectors could not see; default last 24 h. */
export const GapsQuery = T.Object({
  host: T.Optional(T.String({ maxLength: 64 })),
  from: T.Optional(Iso),
  to: T.Optional(Iso),
  limit: T.Optional(T.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
});

/** POST /api/login: the API token, exchanged for an HttpOnly session cookie (204). */
export const LoginBody = T.Object({ token: T.String({ minLength: 1, maxLength: 1024 }) });

/** GET /api/diagnoses: one host or all, open only (`active=true`), resolved only, or both. */
export const DiagnosesQuery = T.Object({
  host: T.Optional(T.String({ maxLength: 64 })),
  active: T.Optional(T.Boolean()),
});

// ---- responses ----

/** GET /api/health: liveness for probes (no auth), with the hub version. */
export const Health = T.Object({ ok: T.Boolean(), version: T.String() });

/** One host in the fleet: connection state and live counts (GET /api/hosts). */
export const HostSummary = T.Object({
  name: T.String(),
  connected: T.Boolean(),
  lastSeen: IsoOrNull,
  kernel: T.Union([T.String(), T.Null()]),
  backends: T.Array(Backend),
  activeSessions: T.Integer(),
  openExpectations: T.Integer(),
  dropsPerMinute: T.Number(),
  /** Packets dropped per minute by drop/reject rules and DROP policies over the last 30 minutes, oldest first. */
  dropsTrend: T.Array(T.Integer(), {
    description:
      'Packets dropped or rejected (rules and DROP policies) per minute over the last 30 minutes, oldest first; ' +
      'the last entry is the current, still filling minute. From the 1-minute rollups.',
  }),
  activeDiagnoses: T.Integer(),
  /** The host's firewall manager as last detected (absent until the collector reported one). */
  firewall: T.Optional(FirewallInfo),
});
export type HostSummary = Static<typeof HostSummary>;

/** An FTP-helper expectation of a session, times in ISO. */
export const ExpectationView = T.Object({
  id: T.String(),
  port: T.Integer(),
  mode: FtpMode,
  createdAt: Iso,
  /** Seconds the kernel still gave it when the collector last reported it (at `seenAt`). */
  timeout: T.Integer({
    minimum: 0,
    description:
      'seconds the kernel still gave the expectation when the collector last reported it (at seenAt)',
  }),
  /** When the collector last reported it: an open expectation lapses at seenAt + timeout. */
  seenAt: T.String({
    format: 'date-time',
    description: 'when the collector last reported it; an open expectation lapses at seenAt + timeout',
  }),
  fulfilledAt: IsoOrNull,
  expiredAt: IsoOrNull,
});

/** A data connection of a session, times in ISO; `established` false is a failed data channel. */
export const DataConnectionView = T.Object({
  id: T.String(),
  clientPort: T.Integer(),
  serverPort: T.Integer(),
  mode: FtpMode,
  attribution: T.String(),
  established: T.Boolean(),
  startedAt: Iso,
  endedAt: IsoOrNull,
  bytes: T.Union([T.Integer(), T.Null()]),
});

/** A data-channel attempt of a session and its outcome, times in ISO. */
export const DataChannelAttemptView = T.Composite([
  T.Omit(DataChannelAttempt, ['askedAt', 'settledAt']),
  T.Object({ askedAt: Iso, settledAt: IsoOrNull }),
]);
export type DataChannelAttemptView = Static<typeof DataChannelAttemptView>;

/** An FTP control session with its expectations and data connections, times in ISO. */
export const SessionView = T.Object({
  id: T.String(),
  host: T.String(),
  client: Endpoint,
  server: Endpoint,
  state: T.String(),
  helper: T.Union([T.String(), T.Null()]),
  user: T.Union([T.String(), T.Null()]),
  mode: FtpMode,
  tls: T.Boolean(),
  startedAt: Iso,
  endedAt: IsoOrNull,
  expectations: T.Array(ExpectationView),
  dataConnections: T.Array(DataConnectionView),
  /** Every data channel the session asked for, oldest first, with its outcome (absent from older hubs). */
  attempts: T.Optional(T.Array(DataChannelAttemptView)),
  /** The address or name the client gave with HOST (RFC 7151), when logged. */
  requestedHost: T.Optional(T.Union([T.String(), T.Null()])),
});
export type SessionView = Static<typeof SessionView>;

/** A current rule or chain policy with its kernel counter totals and drops in the last minute. */
export const RuleView = T.Object({
  id: T.String(),
  backend: Backend,
  family: T.String(),
  table: T.String(),
  chain: T.String(),
  position: T.Integer(),
  text: T.String(),
  verdict: Verdict,
  isPolicy: T.Boolean(),
  packets: T.Integer(),
  bytes: T.Integer(),
  dropsLastMinute: T.Integer(),
});
export type RuleView = Static<typeof RuleView>;

/** Counter deltas of one rule in the bucket starting at `t`. */
export const SeriesPoint = T.Object({ t: Iso, packets: T.Integer(), bytes: T.Integer() });
export type SeriesPoint = Static<typeof SeriesPoint>;

/** A change of a host's rule text (not counters), as the collector diffed it. */
export const RulesetChangeView = T.Object({
  /** The change's one id (the collector's RulesetEvent.changeId): diagnoses' evidence and the UI link by it. */
  id: T.String(),
  host: T.String(),
  at: Iso,
  /** Set when only a poll found the change (iptables-legacy): it happened after this and by `at`. */
  notBefore: T.Union([Iso, T.Null()]),
  added: T.Array(T.String()),
  removed: T.Array(T.String()),
  moved: T.Array(RuleMove),
  policyChanges: T.Array(PolicyChange),
});
export type RulesetChangeView = Static<typeof RulesetChangeView>;

/** A stored NFLOG packet (usually one a rule dropped), time in ISO. */
export const DropView = T.Object({
  id: T.Integer(),
  host: T.String(),
  at: Iso,
  group: DroppedPacket.properties.group,
  ruleId: DroppedPacket.properties.ruleId,
  prefix: DroppedPacket.properties.prefix,
  proto: T.String(),
  src: T.String(),
  dst: T.String(),
  sport: T.Union([T.Integer(), T.Null()]),
  dport: T.Union([T.Integer(), T.Null()]),
  flags: T.Union([T.String(), T.Null()]),
  source: DroppedPacket.properties.source,
  verdict: DroppedPacket.properties.verdict,
});
export type DropView = Static<typeof DropView>;

/** A stored gap in what a collector could see, time in ISO. */
export const GapView = T.Object({
  id: T.Integer(),
  host: T.String(),
  at: Iso,
  source: T.String(),
  reason: T.String(),
  fromSeq: T.Union([T.Integer(), T.Null()]),
  toSeq: T.Union([T.Integer(), T.Null()]),
});
export type GapView = Static<typeof GapView>;

/** A diagnosis as REST renders it (times in ISO). */
export const DiagnosisView = T.Composite([
  T.Omit(Diagnosis, ['firstSeen', 'lastSeen', 'resolvedAt']),
  T.Object({ firstSeen: Iso, lastSeen: Iso, resolvedAt: IsoOrNull }),
]);
export type DiagnosisView = Static<typeof DiagnosisView>;

/** A netfilter health sample as REST renders it (`at` in ISO). */
export const NetfilterHealthView = T.Composite([T.Omit(NetfilterHealth, ['at']), T.Object({ at: Iso })]);
export type NetfilterHealthView = Static<typeof NetfilterHealthView>;

/** The FTP server's settings as the collector last reported them; `updatedAt` is when the hub received them. */
export const FtpServerSettingsView = T.Composite([FtpServerSettings, T.Object({ updatedAt: Iso })]);
export type FtpServerSettingsView = Static<typeof FtpServerSettingsView>;

/** GET /api/hosts/:host/health: the newest health sample and FTP server settings, each null until first reported. */
export const HostHealthView = T.Object({
  health: T.Union([NetfilterHealthView, T.Null()]),
  settings: T.Union([FtpServerSettingsView, T.Null()]),
  /** The host's firewall manager as last detected (absent until reported). */
  firewall: T.Optional(FirewallInfo),
});
export type HostHealthView = Static<typeof HostHealthView>;

/** One entry of the investigation timeline, ordered by `at`. */
export const TimelineItem = T.Object({
  at: Iso,
  host: T.String(),
  type: T.Union([
    T.Literal('session'),
    T.Literal('expectation'),
    T.Literal('data'),
    T.Literal('drop'),
    T.Literal('change'),
    T.Literal('diagnosis'),
    T.Literal('gap'),
    /** Packets counted by a drop/reject rule or DROP policy in one minute (any client: counters carry no address). */
    T.Literal('rule-drops'),
  ]),
  /** true for what went wrong: failed data channels, drops, rule drops, expired expectations, diagnoses. */
  problem: T.Boolean(),
  summary: T.String(),
  ref: T.String(),
});
export type TimelineItem = Static<typeof TimelineItem>;

/** Header of GET /api/timeline: "true" when a kind of record hit the row limit and the timeline was cut short. */
export const TIMELINE_TRUNCATED_HEADER = 'x-ftpscope-truncated';

// ---- /ws/live ----

/** Browser -> hub: which hosts to follow ('*' for all). */
export const LiveSubscribe = T.Object({
  type: T.Literal('subscribe'),
  hosts: T.Union([T.Literal('*'), T.Array(T.String({ maxLength: 64 }), { maxItems: 1000 })]),
});
export type LiveSubscribe = Static<typeof LiveSubscribe>;

/** Hub -> browser: events of one host, coalesced (latest state per object) when the browser is slow. */
export const LiveEvents = T.Object({
  type: T.Literal('events'),
  host: T.String(),
  events: T.Array(
    T.Union([
      CollectorEvent,
      T.Object({ kind: T.Literal('diagnosis'), diagnosis: Diagnosis }),
      T.Object({ kind: T.Literal('host'), connected: T.Boolean(), at: T.Integer() }),
      T.Object({ kind: T.Literal('trace'), trace: TraceView }),
    ]),
  ),
});
export type LiveEvents = Static<typeof LiveEvents>;
export type LiveEvent = LiveEvents['events'][number];
