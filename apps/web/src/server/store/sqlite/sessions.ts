import type { DataConnection, Expectation, FtpMode, FtpSession } from '@ftpscope/shared';
import type { SessionFilter, SessionRecord } from '../records.ts';
import { DataChannelsRepo } from './data-channels.ts';
import type { Db } from './db.ts';
import { DialoguesRepo } from './dialogues.ts';

/** A stored FTP control session (sessions table). */
export interface SessionRow {
  host: string;
  id: string;
  family: string;
  client_ip: string;
  client_port: number;
  server_ip: string;
  server_port: number;
  state: string;
  helper: string | null;
  user: string | null;
  mode: FtpMode;
  tls: number;
  started_at: number;
  ended_at: number | null;
  requested_host?: string | null;
}

/** A stored helper expectation (expectations table). */
export interface ExpectationRow {
  host: string;
  id: string;
  session_id: string | null;
  family: string;
  port: number;
  mode: FtpMode;
  src: string;
  dst: string;
  created_at: number;
  timeout: number;
  seen_at: number | null;
  fulfilled_at: number | null;
  expired_at: number | null;
}

/** A stored data connection (data_connections table). */
export interface DataRow {
  host: string;
  id: string;
  session_id: string | null;
  expectation_id: string | null;
  client_port: number;
  server_port: number;
  mode: FtpMode;
  attribution: string;
  state: string;
  established: number;
  related: number;
  started_at: number;
  ended_at: number | null;
  bytes: number | null;
}

/** FTP control sessions with their expectations and data connections (full-state upserts by id). */
export class SessionsRepo {
  readonly #db: Db;
  readonly #upsertSession;
  readonly #upsertExpectation;
  readonly #upsertData;
  readonly #sync;
  readonly #byId;
  readonly #expectationsOf;
  readonly #dataOf;
  readonly #attempts: DataChannelsRepo;
  /** The dialogue of each session from the server log (read only for one session at a time). */
  readonly dialogues: DialoguesRepo;

  constructor(db: Db) {
    this.#db = db;
    this.#attempts = new DataChannelsRepo(db);
    this.dialogues = new DialoguesRepo(db);
    // Full state wins, except what a later, less informed report (a collector restarted mid-session sees only
    // the kernel entry) cannot know: the earliest start, a helper once assigned, a known mode, TLS once seen.
    this.#upsertSession = db.prepare(
      `INSERT INTO sessions (host, id, family, client_ip, client_port, server_ip, server_port, state, helper, user,
         mode, tls, started_at, ended_at, requested_host)
       VALUES (@host, @id, @family, @client_ip, @client_port, @server_ip, @server_port, @state, @helper, @user,
         @mode, @tls, @started_at, @ended_at, @requested_host)
       ON CONFLICT(host, id) DO UPDATE SET family = excluded.family, client_ip = excluded.client_ip,
         client_port = excluded.client_port, server_ip = excluded.server_ip, server_port = excluded.server_port,
         state = excluded.state, helper = coalesce(excluded.helper, sessions.helper),
         user = coalesce(excluded.user, sessions.user),
         mode = CASE excluded.mode WHEN 'unknown' THEN sessions.mode ELSE excluded.mode END,
         tls = max(excluded.tls, sessions.tls), started_at = min(sessions.started_at, excluded.started_at),
         ended_at = excluded.ended_at, requested_host = coalesce(excluded.requested_host, sessions.requested_host)`,
    );
    this.#upsertExpectation = db.prepare(
      `INSERT INTO expectations (host, id, session_id, family, src, dst, port, mode, created_at, timeout,
         seen_at, fulfilled_at, expired_at)
       VALUES (@host, @id, @session_id, @family, @src, @dst, @port, @mode, @created_at, @timeout,
         @seen_at, @fulfilled_at, @expired_at)
       ON CONFLICT(host, id) DO UPDATE SET session_id = excluded.session_id, family = excluded.family,
         src = excluded.src, dst = excluded.dst, port = excluded.port, mode = excluded.mode,
         created_at = min(expectations.created_at, excluded.created_at), timeout = excluded.timeout,
         seen_at = excluded.seen_at, fulfilled_at = excluded.fulfilled_at, expired_at = excluded.expired_at`,
    );
    this.#upsertData = db.prepare(
      `INSERT INTO data_connections (host, id, session_id, expectation_id, attribution, mode, client_port,
         server_port, state, established, related, started_at, ended_at, bytes)
       VALUES (@host, @id, @session_id, @expectation_id, @attribution, @mode, @client_port,
         @server_port, @state, @established, @related, @started_at, @ended_at, @bytes)
       ON CONFLICT(host, id) DO UPDATE SET session_id = excluded.session_id,
         expectation_id = excluded.expectation_id, attribution = excluded.attribution, mode = excluded.mode,
         client_port = excluded.client_port, server_port = excluded.server_port, state = excluded.state,
         established = excluded.established, related = excluded.related,
         started_at = min(data_connections.started_at, excluded.started_at), ended_at = excluded.ended_at,
         bytes = excluded.bytes`,
    );
    this.#sync = db.prepare(
      `UPDATE sessions SET ended_at = @at, state = 'CLOSED'
       WHERE host = @host AND ended_at IS NULL AND id NOT IN (SELECT value FROM json_each(@ids))`,
    );
    this.#byId = db.prepare('SELECT * FROM sessions WHERE id = ? ORDER BY started_at DESC LIMIT 1');
    this.#expectationsOf = db.prepare(
      `SELECT * FROM expectations WHERE host = ? AND session_id IN (SELECT value FROM json_each(?))
       ORDER BY created_at`,
    );
    this.#dataOf = db.prepare(
      `SELECT * FROM data_connections WHERE host = ? AND session_id IN (SELECT value FROM json_each(?))
       ORDER BY started_at`,
    );
  }

  /** Stores the full state of one session. */
  upsertSession(host: string, s: FtpSession): void {
    this.#upsertSession.run({
      host,
      id: s.id,
      family: s.family,
      client_ip: s.client.ip,
      client_port: s.client.port,
      server_ip: s.server.ip,
      server_port: s.server.port,
      state: s.state,
      helper: s.helper,
      user: s.user,
      mode: s.mode,
      tls: s.tls ? 1 : 0,
      started_at: s.startedAt,
      ended_at: s.endedAt,
      requested_host: s.requestedHost ?? null,
    });
    if (s.attempts && s.attempts.length > 0) this.#attempts.upsert(host, s.id, s.attempts);
    if (s.dialogue && s.dialogue.length > 0)
      this.dialogues.upsert(host, s.id, s.dialogue, s.dialogueOmitted ?? 0);
  }

  /** Stores the full state of one expectation, reported by the collector at `seenAt` (its `timeout` counts from then). */
  upsertExpectation(host: string, e: Expectation, seenAt: number): void {
    this.#upsertExpectation.run({
      host,
      id: e.id,
      session_id: e.sessionId,
      family: e.family,
      src: e.src,
      dst: e.dst,
      port: e.port,
      mode: e.mode,
      created_at: e.createdAt,
      timeout: e.timeout,
      seen_at: Math.max(seenAt, e.createdAt),
      fulfilled_at: e.fulfilledAt,
      expired_at: e.expiredAt,
    });
  }

  /** Stores the full state of one data connection. */
  upsertData(host: string, d: DataConnection): void {
    this.#upsertData.run({
      host,
      id: d.id,
      session_id: d.sessionId,
      expectation_id: d.expectationId,
      attribution: d.attribution,
      mode: d.mode,
      client_port: d.clientPort,
      server_port: d.serverPort,
      state: d.state,
      established: d.established ? 1 : 0,
      related: d.related ? 1 : 0,
      started_at: d.startedAt,
      ended_at: d.endedAt,
      bytes: d.bytes,
    });
  }

  /** After a kernel resync: this host's open sessions that are not listed are over. Returns how many closed. */
  sync(host: string, at: number, activeIds: string[]): number {
    return this.#sync.run({ host, at, ids: JSON.stringify(activeIds) }).changes;
  }

  /** Sessions of one host, newest first, with their expectations and data connections. */
  list(f: SessionFilter): SessionRecord[] {
    const where = ['host = @host'];
    if (f.active === true) where.push('ended_at IS NULL');
    if (f.active === false) where.push('ended_at IS NOT NULL');
    if (f.client !== undefined) where.push('client_ip = @client');
    if (f.from !== undefined) where.push('(ended_at IS NULL OR ended_at >= @from)');
    if (f.to !== undefined) where.push('started_at <= @to');
    const rows = this.#db
      .prepare(`SELECT * FROM sessions WHERE ${where.join(' AND ')} ORDER BY started_at DESC LIMIT @limit`)
      .all({ ...f }) as SessionRow[];
    return this.records(rows);
  }

  /** One session by id (the newest if two hosts reuse an id). */
  get(id: string): SessionRecord | undefined {
    const row = this.#byId.get(id) as SessionRow | undefined;
    return row ? this.records([row])[0] : undefined;
  }

  /** Rows as records with their children, loading children with one query per host. */
  records(rows: SessionRow[]): SessionRecord[] {
    const byHost = new Map<string, string[]>();
    for (const r of rows) push(byHost, r.host, r.id);
    const exps = new Map<string, ExpectationRow[]>();
    const datas = new Map<string, DataRow[]>();
    const attempts = new Map<string, ReturnType<DataChannelsRepo['of']>>();
    for (const [host, ids] of byHost) {
      attempts.set(host, this.#attempts.of(host, ids));
      const json = JSON.stringify(ids);
      for (const e of this.#expectationsOf.all(host, json) as ExpectationRow[])
        push(exps, `${host}\0${e.session_id}`, e);
      for (const d of this.#dataOf.all(host, json) as DataRow[]) push(datas, `${host}\0${d.session_id}`, d);
    }
    return rows.map((r) => {
      const key = `${r.host}\0${r.id}`;
      return {
        id: r.id,
        host: r.host,
        family: r.family as FtpSession['family'],
        client: { ip: r.client_ip, port: r.client_port },
        server: { ip: r.server_ip, port: r.server_port },
        state: r.state,
        helper: r.helper,
        user: r.user,
        mode: r.mode,
        tls: r.tls === 1,
        startedAt: r.started_at,
        endedAt: r.ended_at,
        requestedHost: r.requested_host ?? null,
        attempts: attempts.get(r.host)?.get(r.id) ?? [],
        expectations: (exps.get(key) ?? []).map((e) => ({
          id: e.id,
          sessionId: e.session_id,
          family: e.family as Expectation['family'],
          src: e.src,
          dst: e.dst,
          port: e.port,
          mode: e.mode,
          createdAt: e.created_at,
          timeout: e.timeout,
          seenAt: e.seen_at ?? e.created_at,
          fulfilledAt: e.fulfilled_at,
          expiredAt: e.expired_at,
        })),
        dataConnections: (datas.get(key) ?? []).map((d) => ({
          id: d.id,
          sessionId: d.session_id,
          expectationId: d.expectation_id,
          attribution: d.attribution as DataConnection['attribution'],
          mode: d.mode,
          clientPort: d.client_port,
          serverPort: d.server_port,
          state: d.state,
          established: d.established === 1,
          related: d.related === 1,
          startedAt: d.started_at,
          endedAt: d.ended_at,
          bytes: d.bytes,
        })),
      };
    });
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
