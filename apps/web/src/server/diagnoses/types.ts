import type {
  Backend,
  DataConnection,
  DroppedPacket,
  EvidenceLink,
  Expectation,
  FirewallInfo,
  FixPlan,
  FtpServerSettings,
  FtpSession,
  Gap,
  NetfilterHealth,
  RuleDef,
  RulesetDiff,
  Severity,
} from '@ftpscope/shared';
import type { Static } from '@sinclair/typebox';

/** One evidence link of a diagnosis (session, rule, drop, change, expectation, health, settings). */
export type Evidence = Static<typeof EvidenceLink>;

/** Packets a drop/reject rule (or DROP policy) counted in one poll interval. */
export interface CounterSample {
  at: number;
  ruleId: string;
  dPackets: number;
}

/** A ruleset change as the collector reported it; id is what evidence links point at. */
export interface RulesetChange {
  id: string;
  at: number;
  diff: RulesetDiff;
}

/** A dropped packet with the id evidence links point at. */
export type Drop = DroppedPacket & { id: string };

/**
 * Everything the rules may look at for one host: recent activity plus enough counter history
 * (`lookbackFrom`..now) to compare drop rates before and after a ruleset change.
 */
export interface HostWindow {
  host: string;
  /** Backends the collector found on the host (hello), used to write the fix for the right tool. */
  backends: Backend[];
  /** Sessions active now or ended inside the window. */
  sessions: FtpSession[];
  expectations: Expectation[];
  dataConnections: DataConnection[];
  /** The current ruleset (rules and chain policies). */
  rules: RuleDef[];
  /** Drop/reject-rule and DROP-policy deltas with dPackets > 0, oldest first. */
  counterSamples: CounterSample[];
  /** Time of the first counter poll this window has seen (null: none yet); no baseline before it. */
  countersSince: number | null;
  rulesetChanges: RulesetChange[];
  drops: Drop[];
  /** Health samples, oldest first; the last one is current. */
  health: NetfilterHealth[];
  settings: FtpServerSettings | null;
  /** The host's firewall manager (null until the collector reported it: fixes are then written for a plain host). */
  firewall: FirewallInfo | null;
  /** Events the collector lost (conntrack event overflow, spool drops), oldest first: near one, absence proves nothing. */
  gaps: Gap[];
  /** Networks clients elsewhere cannot reach (`--private-nets`, CIDRs; see private-nets.ts). */
  privateNets: readonly string[];
}

/** What one rule found: the engine turns it into a Diagnosis with a stable id. */
export interface Finding {
  kind: DiagnosisKind;
  /** Distinguishes several findings of one kind on one host (a port, a change); omitted for one per host. */
  subject?: string;
  severity: Severity;
  title: string;
  explanation: string;
  evidence: Evidence[];
  fix: string[];
  /** The fix in the host's firewall manager's terms (fixes/); `fix` is its text. */
  fixPlan?: FixPlan;
}

/** A diagnosis rule: a pure function of the host's window and the current time. */
export type DiagnosisRule = (window: HostWindow, now: number) => Finding[];

/** Stable identifiers of every kind of diagnosis. */
export const DIAGNOSIS_KINDS = [
  'ftp-helper-not-assigned',
  'related-not-accepted',
  'helper-blind-tls',
  'active-mode-blocked',
  'passive-range-mismatch',
  'helper-ipv4-only',
  'nonstandard-control-port',
  'expectations-unused',
  'conntrack-table-full',
  'expectation-table-full',
  'drops-after-ruleset-change',
  'wrong-advertised-address',
] as const;
export type DiagnosisKind = (typeof DIAGNOSIS_KINDS)[number];

/** Minimal logger (pino-compatible) so the module does not depend on the hub's logger. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
