import type { Diagnosis } from '@ftpscope/shared';
import type {
  DropMinute,
  GapRecord,
  InvestigateAttempt,
  InvestigateSession,
  InvestigateSubject,
  NamedRule,
  RulesetChangeRecord,
} from '../store/index.ts';

/**
 * What the hub recorded about one client (or user, or host) around a time, as plain domain records with times in
 * epoch milliseconds: the input of the summary, the chart and the grouped list, which are pure functions of it.
 * Tests feed them histories recorded from the real lab (test/fixtures/investigate/).
 */
export type { DropMinute, InvestigateAttempt, InvestigateSession, NamedRule, RulesetChangeRecord };

/** Who is investigated. */
export type Subject = InvestigateSubject;

/** One occurrence of a diagnosis, with its fix as stored. */
export type DiagnosisRecord = Pick<
  Diagnosis,
  'id' | 'kind' | 'host' | 'severity' | 'title' | 'fix' | 'firstSeen' | 'lastSeen' | 'resolvedAt'
>;

/** Everything recorded about the subject in [from, to] (changes also some time before `from`). */
export interface History {
  subject: Subject;
  from: number;
  to: number;
  /** Sessions overlapping the window, oldest first. */
  sessions: InvestigateSession[];
  /** Sessions were cut at the row limit. */
  truncated: boolean;
  /** Ruleset changes of the hosts involved, oldest first, from CHANGE_LOOKBACK_MS before `from`. */
  changes: RulesetChangeRecord[];
  /** Diagnosis occurrences of the hosts overlapping the window, oldest first. */
  diagnoses: DiagnosisRecord[];
  /** Rules named by the attempts (and the chains of those that only log). */
  rules: NamedRule[];
  dropMinutes: DropMinute[];
  gaps: GapRecord[];
  /** Per host: the last data channel of the subject that worked before `from` (within a day), if any. */
  lastOkBefore: Record<string, number>;
}

/** How far before the window ruleset changes are read: a change just before it can explain a failure in it. */
export const CHANGE_LOOKBACK_MS = 60 * 60_000;
