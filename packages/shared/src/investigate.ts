import { type Static, Type as T } from '@sinclair/typebox';
import { DataChannelAttemptView, Iso, RulesetChangeView } from './api.ts';
import { DialogueLine, Severity } from './domain.ts';

const IsoOrNull = T.Union([Iso, T.Null()]);

// ---- query strings ----

/** GET /api/investigate: who (client, user, or only host), the window (default last hour) and the asker's zone. */
export const InvestigateQuery = T.Object({
  client: T.Optional(T.String({ maxLength: 64 })),
  user: T.Optional(T.String({ maxLength: 256 })),
  host: T.Optional(T.String({ maxLength: 64 })),
  from: T.Optional(Iso),
  to: T.Optional(Iso),
  /** IANA time zone the summary writes its times in (the browser's); default UTC. */
  tz: T.Optional(T.String({ maxLength: 64 })),
});
export type InvestigateQuery = Static<typeof InvestigateQuery>;

/** GET /api/investigate/list: one page of the grouped list, for the window or a part of it brushed on the chart. */
export const InvestigateListQuery = T.Composite([
  InvestigateQuery,
  T.Object({
    offset: T.Optional(T.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
    limit: T.Optional(T.Integer({ minimum: 1, maximum: 500, default: 50 })),
  }),
]);
export type InvestigateListQuery = Static<typeof InvestigateListQuery>;

// ---- the answer ----

/**
 * How a session's data channels went, worst first: `failed` (every decided channel failed), `mixed` (some
 * failed, some worked), `ok`, `unknown` (no outcome could be told), `none` (no data channel: a login, or no
 * server log).
 */
export const SessionOutcome = T.Union([
  T.Literal('failed'),
  T.Literal('mixed'),
  T.Literal('ok'),
  T.Literal('unknown'),
  T.Literal('none'),
]);
export type SessionOutcome = Static<typeof SessionOutcome>;

/** What the summary concluded: failing now, failed and recovered, all worked, nothing to judge, no sessions. */
export const InvestigateStatus = T.Union([
  T.Literal('failing'),
  T.Literal('recovered'),
  T.Literal('ok'),
  T.Literal('unclear'),
  T.Literal('idle'),
]);
export type InvestigateStatus = Static<typeof InvestigateStatus>;

/** The answer in one to three sentences, with the facts they name (so the UI can link them). */
export const InvestigateSummary = T.Object({
  status: InvestigateStatus,
  sentences: T.Array(T.String(), { minItems: 1, maxItems: 3 }),
  /** First failed data channel of the failure (the current one, or the last one when recovered). */
  failingSince: IsoOrNull,
  /** When it worked again (recovered only). */
  recoveredAt: IsoOrNull,
  /** Last data channel that worked before the failure, on the failing host. */
  lastOkAt: IsoOrNull,
  /** Hosts where the client's data channels failed, worst first. */
  failingHosts: T.Array(T.String()),
  /** The ruleset change just before the failure (the first of a burst), if any. */
  change: T.Union([T.Object({ id: T.String(), host: T.String(), at: Iso }), T.Null()]),
  /** The diagnosis that explains the failure, if the hub made one. */
  diagnosis: T.Union([
    T.Object({ id: T.String(), kind: T.String(), host: T.String(), title: T.String(), severity: Severity }),
    T.Null(),
  ]),
  /** The diagnosis's fix, as stored with it (commands or config lines). */
  fix: T.Array(T.String()),
  counts: T.Object({
    sessions: T.Integer(),
    hosts: T.Integer(),
    channels: T.Integer(),
    ok: T.Integer(),
    failed: T.Integer(),
    bytes: T.Integer(),
  }),
});
export type InvestigateSummary = Static<typeof InvestigateSummary>;

/** One session on the chart: a mark in its host's lane, coloured by its outcome. */
export const ChartSession = T.Object({
  id: T.String(),
  host: T.String(),
  at: Iso,
  outcome: SessionOutcome,
});
export type ChartSession = Static<typeof ChartSession>;

/** A diagnosis drawn as a span over its host's lane, from first seen to resolved (null: still open). */
export const ChartDiagnosis = T.Object({
  id: T.String(),
  host: T.String(),
  kind: T.String(),
  title: T.String(),
  severity: Severity,
  from: Iso,
  to: IsoOrNull,
});
export type ChartDiagnosis = Static<typeof ChartDiagnosis>;

/**
 * Packets dropped in one minute on the investigated hosts (rule counters, any client, or logged drops of the
 * client), and when in that minute they were seen first and last (null: only the minute is known).
 */
export const ChartDrops = T.Object({
  at: Iso,
  packets: T.Integer({ minimum: 0 }),
  first: IsoOrNull,
  last: IsoOrNull,
});
export type ChartDrops = Static<typeof ChartDrops>;

/** The timeline chart: one lane per host, sessions, ruleset changes (with their diff), diagnosis spans, drops. */
export const InvestigateChart = T.Object({
  lanes: T.Array(T.String()),
  sessions: T.Array(ChartSession),
  changes: T.Array(RulesetChangeView),
  diagnoses: T.Array(ChartDiagnosis),
  drops: T.Array(ChartDrops),
});
export type InvestigateChart = Static<typeof InvestigateChart>;

/** One session of a group, for when the group is expanded. */
export const GroupSession = T.Object({ id: T.String(), at: Iso, outcome: SessionOutcome });

/** An entry of the grouped list: identical consecutive sessions collapsed, or a change, diagnosis or gap. */
export const InvestigateEntry = T.Union([
  T.Object({
    type: T.Literal('sessions'),
    host: T.String(),
    client: T.String(),
    /** "passive LIST from 198.18.1.100 → dropped by INPUT policy DROP" */
    label: T.String(),
    outcome: SessionOutcome,
    count: T.Integer({ minimum: 1 }),
    from: Iso,
    to: Iso,
    /** The group's sessions, oldest first (at most 200; `count` says how many there are). */
    sessions: T.Array(GroupSession, { maxItems: 200 }),
  }),
  T.Object({ type: T.Literal('change'), id: T.String(), host: T.String(), at: Iso, label: T.String() }),
  T.Object({
    type: T.Literal('diagnosis'),
    id: T.String(),
    host: T.String(),
    at: Iso,
    kind: T.String(),
    title: T.String(),
    severity: Severity,
    resolvedAt: IsoOrNull,
  }),
  T.Object({ type: T.Literal('gap'), host: T.String(), at: Iso, label: T.String() }),
]);
export type InvestigateEntry = Static<typeof InvestigateEntry>;

/** A page of the grouped list, oldest first. */
export const InvestigateListPage = T.Object({
  total: T.Integer({ minimum: 0 }),
  offset: T.Integer({ minimum: 0 }),
  limit: T.Integer({ minimum: 1 }),
  entries: T.Array(InvestigateEntry),
});
export type InvestigateListPage = Static<typeof InvestigateListPage>;

/** GET /api/investigate: the summary on top, the chart, and the first page of the grouped list. */
export const InvestigateView = T.Object({
  /** "198.18.1.100", "user bob", "clients of ftp1". */
  subject: T.String(),
  from: Iso,
  to: Iso,
  summary: InvestigateSummary,
  chart: InvestigateChart,
  list: InvestigateListPage,
  /** Sessions stopped at the hub's row limit: what is shown is complete only up to the last session. */
  truncated: T.Boolean(),
});
export type InvestigateView = Static<typeof InvestigateView>;

// ---- the session's story ----

/** A data channel of a session with the rule that took it named in words. */
export const StoryChannel = T.Composite([
  DataChannelAttemptView,
  T.Object({
    /** "INPUT policy DROP (ipv4 filter)", when the attempt names a rule the hub knows. */
    ruleLabel: T.Union([T.String(), T.Null()]),
    /** The transfer command that used it (LIST, RETR …), from the dialogue. */
    transferCommand: T.Union([T.String(), T.Null()]),
  }),
]);
export type StoryChannel = Static<typeof StoryChannel>;

/** GET /api/sessions/:id/story: what the Session view tells beyond the session itself. */
export const SessionStory = T.Object({
  /** Commands and replies from the server log, oldest first (PASS masked); empty when the log had none. */
  dialogue: T.Array(T.Composite([T.Omit(DialogueLine, ['at']), T.Object({ at: Iso })])),
  /** Earlier lines the collector did not keep. */
  dialogueOmitted: T.Integer({ minimum: 0 }),
  channels: T.Array(StoryChannel),
  /** The last ruleset change at or before the session started (null: none recorded, the ruleset as first seen). */
  rulesetBefore: T.Union([RulesetChangeView, T.Null()]),
  /** Ruleset changes while the session was open (its diff is a click away). */
  changesDuring: T.Array(RulesetChangeView),
});
export type SessionStory = Static<typeof SessionStory>;
