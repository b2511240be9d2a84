import type { DataChannelAttempt, DataConnection, Expectation, FtpMode, FtpSession } from '@ftpscope/shared';
import type pg from 'pg';
import type { ExpectationRecord, SessionFilter, SessionRecord } from '../records.ts';

/** A session row of all_sessions (open and recent in `sessions`, older finished ones in `sessions_done`). */
export interface PgSessionRow {
  host: string;
  id: string;
  family: FtpSession['family'];
  client_ip: string;
  client_port: number;
  server_ip: string;
  server_port: number;
  state: string;
  helper: string | null;
  username: string | null;
  mode: FtpMode;
  tls: boolean;
  started_at: number;
  ended_at: number | null;
  requested_host: string | null;
}

interface AttemptRow {
  host: string;
  id: string;
  session_id: string;
  mode: DataChannelAttempt['mode'];
  command: string | null;
  address: string | null;
  port: number | null;
  asked_at: number;
  outcome: DataChannelAttempt['outcome'];
  settled_at: number | null;
  bytes: number | null;
  bytes_from: DataChannelAttempt['bytesFrom'];
  rule_id: string | null;
  drop_source: DataChannelAttempt['dropSource'];
  tied_by: DataChannelAttempt['tiedBy'];
  expectation_id: string | null;
  data_connection_id: string | null;
  reason: string | null;
}

interface ExpectationRow {
  host: string;
  id: string;
  session_id: string | null;
  family: Expectation['family'];
  src: string;
  dst: string;
  port: number;
  mode: FtpMode;
  created_at: number;
  timeout: number;
  seen_at: number;
  fulfilled_at: number | null;
  expired_at: number | null;
}

interface DataRow {
  host: string;
  id: string;
  session_id: string | null;
  expectation_id: string | null;
  attribution: DataConnection['attribution'];
  mode: FtpMode;
  client_port: number;
  server_port: number;
  state: string;
  established: boolean;
  related: boolean;
  started_at: number;
  ended_at: number | null;
  bytes: number | null;
}

/** FTP control sessions with their expectations and data connections, on PostgreSQL. */
export class PgSessions {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async list(f: SessionFilter): Promise<SessionRecord[]> {
    const values: unknown[] = [f.host];
    const where = ['host = $1'];
    const param = (v: unknown) => `$${values.push(v)}`;
    if (f.active === true) where.push('ended_at IS NULL');
    if (f.active === false) where.push('ended_at IS NOT NULL');
    if (f.client !== undefined) where.push(`client_ip = ${param(f.client)}`);
    if (f.from !== undefined) where.push(`(ended_at IS NULL OR ended_at >= ${param(f.from)})`);
    if (f.to !== undefined) where.push(`started_at <= ${param(f.to)}`);
    // Open sessions only live in `sessions`: no need to look at the finished partitions.
    const from = f.active === true ? 'sessions' : 'all_sessions';
    const { rows } = await this.#pool.query<PgSessionRow>(
      `SELECT * FROM ${from} WHERE ${where.join(' AND ')} ORDER BY started_at DESC LIMIT ${param(f.limit)}`,
      values,
    );
    return this.records(rows);
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.#pool.query<PgSessionRow>({
      name: 'ftpscope_session_get',
      text: 'SELECT * FROM all_sessions WHERE id = $1 ORDER BY started_at DESC LIMIT 1',
      values: [id],
    });
    return rows[0] ? (await this.records(rows))[0] : undefined;
  }

  /** Rows as records with their children, loaded with two queries whatever the number of hosts. */
  async records(rows: PgSessionRow[]): Promise<SessionRecord[]> {
    const exps = new Map<string, ExpectationRecord[]>();
    const datas = new Map<string, DataConnection[]>();
    const attempts = new Map<string, DataChannelAttempt[]>();
    if (rows.length > 0) {
      // One round trip per kind of child: the timeline of a client spans many hosts.
      const keys = [rows.map((r) => r.host), rows.map((r) => r.id)];
      const e = await this.#pool.query<ExpectationRow>({
        name: 'ftpscope_session_expectations',
        text: `SELECT x.* FROM unnest($1::text[], $2::text[]) AS k(host, id)
          JOIN expectations x ON x.host = k.host AND x.session_id = k.id ORDER BY x.created_at`,
        values: keys,
      });
      for (const x of e.rows) push(exps, `${x.host}\0${x.session_id}`, toExpectation(x));
      const d = await this.#pool.query<DataRow>({
        name: 'ftpscope_session_data',
        text: `SELECT x.* FROM unnest($1::text[], $2::text[]) AS k(host, id)
          JOIN data_connections x ON x.host = k.host AND x.session_id = k.id ORDER BY x.started_at`,
        values: keys,
      });
      for (const x of d.rows) push(datas, `${x.host}\0${x.session_id}`, toData(x));
      const a = await this.#pool.query<AttemptRow>({
        name: 'ftpscope_session_attempts',
        text: `SELECT x.* FROM unnest($1::text[], $2::text[]) AS k(host, id)
          JOIN data_channels x ON x.host = k.host AND x.session_id = k.id ORDER BY x.asked_at, x.id`,
        values: keys,
      });
      for (const x of a.rows) push(attempts, `${x.host}\0${x.session_id}`, toAttempt(x));
    }
    return rows.map((r) => {
      const key = `${r.host}\0${r.id}`;
      return {
        id: r.id,
        host: r.host,
        family: r.family,
        client: { ip: r.client_ip, port: r.client_port },
        server: { ip: r.server_ip, port: r.server_port },
        state: r.state,
        helper: r.helper,
        user: r.username,
        mode: r.mode,
        tls: r.tls,
        startedAt: r.started_at,
        endedAt: r.ended_at,
        requestedHost: r.requested_host,
        attempts: attempts.get(key) ?? [],
        expectations: exps.get(key) ?? [],
        dataConnections: datas.get(key) ?? [],
      };
    });
  }
}

function toExpectation(e: ExpectationRow): ExpectationRecord {
  return {
    id: e.id,
    sessionId: e.session_id,
    family: e.family,
    src: e.src,
    dst: e.dst,
    port: e.port,
    mode: e.mode,
    createdAt: e.created_at,
    timeout: e.timeout,
    seenAt: e.seen_at,
    fulfilledAt: e.fulfilled_at,
    expiredAt: e.expired_at,
  };
}

function toAttempt(r: AttemptRow): DataChannelAttempt {
  return {
    id: r.id,
    mode: r.mode,
    command: r.command,
    address: r.address,
    port: r.port,
    askedAt: r.asked_at,
    outcome: r.outcome,
    settledAt: r.settled_at,
    bytes: r.bytes,
    bytesFrom: r.bytes_from,
    ruleId: r.rule_id,
    dropSource: r.drop_source,
    tiedBy: r.tied_by,
    expectationId: r.expectation_id,
    dataConnectionId: r.data_connection_id,
    reason: r.reason,
  };
}

function toData(d: DataRow): DataConnection {
  return {
    id: d.id,
    sessionId: d.session_id,
    expectationId: d.expectation_id,
    attribution: d.attribution,
    mode: d.mode,
    clientPort: d.client_port,
    serverPort: d.server_port,
    state: d.state,
    established: d.established,
    related: d.related,
    startedAt: d.started_at,
    endedAt: d.ended_at,
    bytes: d.bytes,
  };
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
