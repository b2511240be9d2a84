/**
 * What the store returns: domain records with times in epoch milliseconds, the same shapes for every engine.
 * API views (ISO times) and timeline sentences are built from these outside store/ (see ../views/).
 */
import type {
  Backend,
  DataChannelAttempt,
  DataConnection,
  Diagnosis,
  DialogueLine,
  DroppedPacket,
  Expectation,
  FirewallInfo,
  FtpServerSettings,
  FtpSession,
  Gap,
  NetfilterHealth,
  RuleDef,
  RulesetDiff,
  TraceEndReason,
  TraceRequester,
  TraceStep,
} from '@ftpscope/shared';

/** A host with its collector's connection state and live counts. */
export interface HostRecord {
  name: string;
  connected: boolean;
  lastSeen: number | null;
  kernel: string | null;
  backends: Backend[];
  activeSessions: number;
  openExpectations: number;
  /** Packets counted by drop/reject rules and DROP policies over the last minute (raw samples). */
  dropsPerMinute: number;
  /** The same per minute over the last TREND_MINUTES, oldest first (rollups). */
  dropsTrend: number[];
  activeDiagnoses: number;
  /** The host's firewall manager as last detected (absent until the collector reported one). */
  firewall?: FirewallInfo;
}

/** An expectation as stored: `seenAt` is when the collector last reported it (its timeout counts from then). */
export type ExpectationRecord = Expectation & { seenAt: number };

/** A session with its expectations, data connections and data-channel attempts (oldest first). */
export type SessionRecord = Omit<
  FtpSession,
  'transfers' | 'attempts' | 'requestedHost' | 'dialogue' | 'dialogueOmitted'
> & {
  host: string;
  /** The address or name the client gave with HOST, when logged. */
  requestedHost: string | null;
  attempts: DataChannelAttempt[];
  expectations: ExpectationRecord[];
  dataConnections: DataConnection[];
};

/** A current rule with its counter totals and drops over the last minute. */
export type RuleRecord = RuleDef & { packets: number; bytes: number; dropsLastMinute: number };

/** A stored dropped packet. */
export type DropRecord = DroppedPacket & { id: number; host: string };

/** A stored gap. */
export type GapRecord = Gap & { id: number; host: string };

/** A stored ruleset change. */
export interface RulesetChangeRecord {
  /** The change's one id (the collector's changeId, or its time for changes stored before there was one). */
  id: string;
  host: string;
  at: number;
  /** A change found by a poll alone happened after this and by `at`; null when announced at `at`. */
  notBefore: number | null;
  diff: RulesetDiff;
}

/** Counter deltas of one rule in the bucket starting at `t`. */
export interface SeriesBucket {
  t: number;
  packets: number;
  bytes: number;
}

/** The newest health sample (by sample time) and the FTP server settings of a host, null until reported. */
export interface HostHealthRecord {
  health: NetfilterHealth | null;
  /** `updatedAt`: when the hub received them. */
  settings: (FtpServerSettings & { updatedAt: number }) | null;
  /** The host's firewall manager as last detected, or null. */
  firewall: FirewallInfo | null;
}

/** Packets one drop/reject rule (or DROP policy) counted in one minute, with the rule and the seconds seen. */
export interface RuleDropsRecord {
  host: string;
  rule: Pick<RuleDef, 'id' | 'family' | 'chain' | 'position' | 'text' | 'verdict' | 'isPolicy'>;
  bucket: number;
  packets: number;
  /** First and last raw sample with drops in the minute; null once the raw samples were pruned. */
  firstAt: number | null;
  lastAt: number | null;
}

/** Who to investigate (client address or FTP user name), optionally on one host, in a window (ms). */
export interface TimelineFilter {
  client?: string;
  user?: string;
  host?: string;
  from: number;
  to: number;
}

/**
 * Everything about one client in a window. Each kind is read up to TIMELINE_MAX_ROWS rows; when a time-ordered
 * kind had more, `cutAt` is the time of its first row left out (the earliest over kinds) and `truncated` is set.
 */
export interface TimelineRecords {
  sessions: SessionRecord[];
  drops: DropRecord[];
  changes: RulesetChangeRecord[];
  ruleDrops: RuleDropsRecord[];
  diagnoses: Diagnosis[];
  gaps: GapRecord[];
  truncated: boolean;
  cutAt: number | null;
}

/** Rows read per kind of timeline record; one more is read to tell that the window holds more. */
export const TIMELINE_MAX_ROWS = 2000;

/** Filters of the sessions of one host (times in ms). */
export interface SessionFilter {
  host: string;
  active?: boolean;
  client?: string;
  from?: number;
  to?: number;
  limit: number;
}

/** Filters of dropped packets; `client` matches either address. */
export interface DropFilter {
  host?: string;
  client?: string;
  from: number;
  to: number;
  limit: number;
}

/** Filters of gaps. */
export interface GapFilter {
  host?: string;
  from: number;
  to: number;
  limit: number;
}

/** Filters of diagnoses; `from`/`to` select those overlapping the window. */
export interface DiagnosisFilter {
  host?: string;
  hosts?: string[];
  active?: boolean;
  from?: number;
  to?: number;
  limit?: number;
}

/** Minutes of drop history in each host record (the fleet sparkline). */
export const TREND_MINUTES = 30;

/** An on-demand trace: who asked, whom it followed, how it ended, its ladder steps (times in epoch ms). */
export interface TraceRecord {
  id: string;
  host: string;
  client: string;
  requestedBy: TraceRequester;
  startedAt: number;
  endedAt: number | null;
  durationMs: number;
  endReason: TraceEndReason | null;
  error: string | null;
  packets: number;
  pcapBytes: number;
  tls: boolean;
  steps: TraceStep[];
}

/** One data channel of a session as Investigate reads it. */
export type InvestigateAttempt = Pick<
  DataChannelAttempt,
  'id' | 'mode' | 'command' | 'port' | 'askedAt' | 'outcome' | 'bytes' | 'ruleId'
>;

/** A session as Investigate reads it: who, when, how its data channels went, what its dialogue used them for. */
export interface InvestigateSession {
  id: string;
  host: string;
  client: string;
  user: string | null;
  mode: FtpSession['mode'];
  tls: boolean;
  startedAt: number;
  endedAt: number | null;
  attempts: InvestigateAttempt[];
  /** Transfer commands of the dialogue (LIST, RETR …), in order; empty when the log showed none. */
  verbs: string[];
}

/** Who Investigate looks at: a client address, an FTP user, or every client of a host (optionally combined). */
export interface InvestigateSubject {
  client?: string;
  user?: string;
  host?: string;
}

/** A rule or chain policy of a host, enough to name it. */
export type NamedRule = Pick<
  RuleDef,
  'id' | 'family' | 'table' | 'chain' | 'position' | 'text' | 'verdict' | 'isPolicy'
> & {
  host: string;
};

/** Packets dropped on a host in the minute starting at `at`, seen first and last at (null: only the minute is known). */
export interface DropMinute {
  host: string;
  at: number;
  packets: number;
  first: number | null;
  last: number | null;
}

/** A session's FTP dialogue as stored: lines oldest first, and how many earlier ones the collector did not keep. */
export interface DialogueRecord {
  lines: DialogueLine[];
  omitted: number;
}
