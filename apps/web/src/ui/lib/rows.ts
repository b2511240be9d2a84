import type {
  Diagnosis,
  DiagnosisView,
  Expectation,
  FtpSession,
  RuleDef,
  RuleView,
  SessionView,
} from '@ftpscope/shared';
import { type OutcomeCounts, outcomeCounts } from './data-channels.ts';

/** One line of the live sessions table: a session plus what its data connections add up to. */
export interface SessionRow {
  id: string;
  clientIp: string;
  clientPort: number;
  serverIp: string;
  serverPort: number;
  mode: FtpSession['mode'];
  state: string;
  helper: string | null;
  user: string | null;
  startedAt: number;
  endedAt: number | null;
  dataConns: number;
  failedData: number;
  bytes: number | null;
  /** Outcomes of the session's data-channel attempts (empty from collectors that do not report them). */
  outcomes?: OutcomeCounts;
}

/** Per data connection, what a session row sums up. */
export interface DataTally {
  bytes: number | null;
  failed: boolean;
}

/** One line of the expectations list; `deadline` is when the kernel drops it unused. */
export interface ExpectationRow {
  id: string;
  sessionId: string | null;
  port: number;
  mode: Expectation['mode'];
  createdAt: number;
  deadline: number;
  fulfilledAt: number | null;
  expiredAt: number | null;
}

/** One line of the rules table: the REST rule plus live rates and a short history for the sparkline. */
export interface RuleRow extends RuleView {
  /** Packets per second over the last poll. */
  rate: number;
  history: number[];
}

const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** Sum the tallies of a session's data connections. */
export function tally(data: Iterable<DataTally>): Pick<SessionRow, 'dataConns' | 'failedData' | 'bytes'> {
  let dataConns = 0;
  let failedData = 0;
  let bytes: number | null = null;
  for (const d of data) {
    dataConns++;
    if (d.failed) failedData++;
    if (d.bytes !== null) bytes = (bytes ?? 0) + d.bytes;
  }
  return { dataConns, failedData, bytes };
}

/** A data connection counts as failed once it ended without the handshake getting through. */
export function dataTally(d: { bytes: number | null; established: boolean; endedAt: unknown }): DataTally {
  return { bytes: d.bytes, failed: !d.established && d.endedAt !== null };
}

/** Row of a session as the REST API returns it. */
export function rowFromView(v: SessionView): SessionRow {
  return {
    id: v.id,
    clientIp: v.client.ip,
    clientPort: v.client.port,
    serverIp: v.server.ip,
    serverPort: v.server.port,
    mode: v.mode,
    state: v.state,
    helper: v.helper,
    user: v.user,
    startedAt: Date.parse(v.startedAt),
    endedAt: ms(v.endedAt),
    ...tally(v.dataConnections.map(dataTally)),
    outcomes: outcomeCounts(v.attempts),
  };
}

/** Row of a session from a live event, keeping the data-connection sums already known. */
export function rowFromEvent(
  s: FtpSession,
  sums: Pick<SessionRow, 'dataConns' | 'failedData' | 'bytes'>,
): SessionRow {
  return {
    id: s.id,
    clientIp: s.client.ip,
    clientPort: s.client.port,
    serverIp: s.server.ip,
    serverPort: s.server.port,
    mode: s.mode,
    state: s.state,
    helper: s.helper,
    user: s.user,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    ...sums,
    outcomes: outcomeCounts(s.attempts),
  };
}

/** Expectation rows of a REST session; conntrack's `timeout` counts from when the collector last saw it. */
export function expectationRowsFromView(v: SessionView): ExpectationRow[] {
  return v.expectations.map((e) => ({
    id: e.id,
    sessionId: v.id,
    port: e.port,
    mode: e.mode,
    createdAt: Date.parse(e.createdAt),
    deadline: Date.parse(e.seenAt) + e.timeout * 1000,
    fulfilledAt: ms(e.fulfilledAt),
    expiredAt: ms(e.expiredAt),
  }));
}

/** Expectation row from a live event; conntrack's `timeout` counts from when we received it. */
export function expectationRowFromEvent(e: Expectation, receivedAt: number): ExpectationRow {
  return {
    id: e.id,
    sessionId: e.sessionId,
    port: e.port,
    mode: e.mode,
    createdAt: e.createdAt,
    deadline: receivedAt + e.timeout * 1000,
    fulfilledAt: e.fulfilledAt,
    expiredAt: e.expiredAt,
  };
}

/** Rule row from REST; the rate starts from the last minute's drops (or 0). */
export function ruleRowFromView(r: RuleView): RuleRow {
  return { ...r, rate: r.dropsLastMinute / 60, history: [] };
}

/** Rule row for a rule first seen in a live ruleset event. */
export function ruleRowFromDef(d: RuleDef, previous: RuleRow | undefined): RuleRow {
  return {
    id: d.id,
    backend: d.backend,
    family: d.family,
    table: d.table,
    chain: d.chain,
    position: d.position,
    text: d.text,
    verdict: d.verdict,
    isPolicy: d.isPolicy,
    packets: previous?.packets ?? 0,
    bytes: previous?.bytes ?? 0,
    dropsLastMinute: previous?.dropsLastMinute ?? 0,
    rate: previous?.rate ?? 0,
    history: previous?.history ?? [],
  };
}

/** Whether a rule discards what it matches (what operators look for first). */
export function isDropping(r: Pick<RuleView, 'verdict'>): boolean {
  return r.verdict === 'drop' || r.verdict === 'reject';
}

/** A diagnosis from a live event rendered as the REST API would. */
export function diagnosisToView(d: Diagnosis): DiagnosisView {
  return {
    ...d,
    firstSeen: new Date(d.firstSeen).toISOString(),
    lastSeen: new Date(d.lastSeen).toISOString(),
    resolvedAt: d.resolvedAt === null ? null : new Date(d.resolvedAt).toISOString(),
  };
}
