import type {
  Batch,
  CollectorEvent,
  DataConnection,
  DroppedPacket,
  Expectation,
  FtpServerSettings,
  FtpSession,
  Gap,
  NetfilterHealth,
  RuleCounter,
} from '@ftpscope/shared';
import type pg from 'pg';
import { StreamMovedError } from '../errors.ts';
import { inTransaction } from './connect.ts';
import type { Partitions } from './partitions.ts';

const MINUTE = 60_000;

/** What one segment of a batch writes, grouped per table (a segment ends before each ruleset or sync). */
interface Segment {
  sessions: FtpSession[];
  expectations: { e: Expectation; seenAt: number }[];
  data: DataConnection[];
  counters: { at: number; c: RuleCounter }[];
  drops: DroppedPacket[];
  health: NetfilterHealth[];
  gaps: Gap[];
  settings: FtpServerSettings | null;
}

const emptySegment = (): Segment => ({
  sessions: [],
  expectations: [],
  data: [],
  counters: [],
  drops: [],
  health: [],
  gaps: [],
  settings: null,
});

/**
 * Folds the reports of one object within a batch into one, with the same rules the upsert applies to a
 * stored row (so one statement writes each row once, and the result is the same as applying them in turn):
 * the later report wins, except what a less informed one cannot know.
 */
function fold<T>(items: T[], id: (t: T) => string, merge: (older: T, newer: T) => T): T[] {
  const byId = new Map<string, T>();
  for (const item of items) {
    const k = id(item);
    const older = byId.get(k);
    byId.set(k, older === undefined ? item : merge(older, item));
  }
  return [...byId.values()];
}

/** UPSERT_SESSIONS' rules: earliest start, a helper/user once known, a known mode, TLS once seen. */
function mergeSession(o: FtpSession, n: FtpSession): FtpSession {
  return {
    ...n,
    helper: n.helper ?? o.helper,
    user: n.user ?? o.user,
    mode: n.mode === 'unknown' ? o.mode : n.mode,
    tls: n.tls || o.tls,
    startedAt: Math.min(o.startedAt, n.startedAt),
  };
}

/** UPSERT_EXPECTATIONS' rules: the earliest creation, the rest from the later report. */
function mergeExpectation(
  o: { e: Expectation; seenAt: number },
  n: { e: Expectation; seenAt: number },
): { e: Expectation; seenAt: number } {
  return { e: { ...n.e, createdAt: Math.min(o.e.createdAt, n.e.createdAt) }, seenAt: n.seenAt };
}

/** UPSERT_DATA's rules: the earliest start, the rest from the later report. */
function mergeData(o: DataConnection, n: DataConnection): DataConnection {
  return { ...n, startedAt: Math.min(o.startedAt, n.startedAt) };
}

const UPSERT_SESSIONS = `INSERT INTO sessions (host, id, family, client_ip, client_port, server_ip, server_port, state,
    helper, username, mode, tls, started_at, ended_at)
  SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::int[], $8::text[],
    $9::text[], $10::text[], $11::text[], $12::bool[], $13::int8[], $14::int8[])
  ON CONFLICT (host, id) DO UPDATE SET family = excluded.family, client_ip = excluded.client_ip,
    client_port = excluded.client_port, server_ip = excluded.server_ip, server_port = excluded.server_port,
    state = excluded.state, helper = coalesce(excluded.helper, sessions.helper),
    username = coalesce(excluded.username, sessions.username),
    mode = CASE excluded.mode WHEN 'unknown' THEN sessions.mode ELSE excluded.mode END,
    tls = excluded.tls OR sessions.tls, started_at = least(sessions.started_at, excluded.started_at),
    ended_at = excluded.ended_at`;

const UPSERT_EXPECTATIONS = `INSERT INTO expectations (host, id, session_id, family, src, dst, port, mode, created_at,
    timeout, seen_at, fulfilled_at, expired_at)
  SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[],
    $9::int8[], $10::int[], $11::int8[], $12::int8[], $13::int8[])
  ON CONFLICT (host, id) DO UPDATE SET session_id = excluded.session_id, family = excluded.family,
    src = excluded.src, dst = excluded.dst, port = excluded.port, mode = excluded.mode,
    created_at = least(expectations.created_at, excluded.created_at), timeout = excluded.timeout,
    seen_at = excluded.seen_at, fulfilled_at = excluded.fulfilled_at, expired_at = excluded.expired_at`;

const UPSERT_DATA = `INSERT INTO data_connections (host, id, session_id, expectation_id, attribution, mode, client_port,
    server_port, state, established, related, started_at, ended_at, bytes)
  SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[],
    $9::text[], $10::bool[], $11::bool[], $12::int8[], $13::int8[], $14::int8[])
  ON CONFLICT (host, id) DO UPDATE SET session_id = excluded.session_id,
    expectation_id = excluded.expectation_id, attribution = excluded.attribution, mode = excluded.mode,
    client_port = excluded.client_port, server_port = excluded.server_port, state = excluded.state,
    established = excluded.established, related = excluded.related,
    started_at = least(data_connections.started_at, excluded.started_at), ended_at = excluded.ended_at,
    bytes = excluded.bytes`;

const INSERT_SAMPLES = `INSERT INTO rule_samples (host, rule_id, at, packets, bytes, d_packets, d_bytes)
  SELECT $1, * FROM unnest($2::text[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[])`;

const UPSERT_ROLLUPS = `INSERT INTO rule_rollup_1m (host, rule_id, bucket, d_packets, d_bytes)
  SELECT $1, * FROM unnest($2::text[], $3::int8[], $4::int8[], $5::int8[])
  ON CONFLICT (host, rule_id, bucket) DO UPDATE SET d_packets = rule_rollup_1m.d_packets + excluded.d_packets,
    d_bytes = rule_rollup_1m.d_bytes + excluded.d_bytes`;

const SET_TOTALS = `UPDATE rules r SET packets = i.p, bytes = i.b, counters_at = i.at
  FROM unnest($2::text[], $3::int8[], $4::int8[], $5::int8[]) AS i(id, p, b, at)
  WHERE r.host = $1 AND r.id = i.id AND (r.counters_at IS NULL OR r.counters_at <= i.at)`;

const INSERT_DROPS = `INSERT INTO drops (host, at, grp, rule_id, prefix, proto, src, dst, sport, dport, flags)
  SELECT $1, * FROM unnest($2::int8[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::int[], $10::int[], $11::text[])`;

const INSERT_HEALTH = `INSERT INTO health_samples (host, at, health)
  SELECT $1, * FROM unnest($2::int8[], $3::jsonb[])`;

const INSERT_GAPS = `INSERT INTO gaps (host, at, source, reason, from_seq, to_seq)
  SELECT $1, * FROM unnest($2::int8[], $3::text[], $4::text[], $5::int8[], $6::int8[])`;

const UPSERT_SETTINGS = `INSERT INTO ftp_settings (host, updated_at, settings) VALUES ($1, $2, $3)
  ON CONFLICT (host) DO UPDATE SET updated_at = excluded.updated_at, settings = excluded.settings`;

const RULESET_AT = 'SELECT max(seen_at) AS at FROM rules WHERE host = $1';

const UPSERT_RULES = `INSERT INTO rules (host, id, backend, family, tbl, chain, position, text, verdict, is_policy,
    comment, seen_at)
  SELECT $1, *, $12::int8 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[],
    $8::text[], $9::text[], $10::bool[], $11::text[])
  ON CONFLICT (host, id) DO UPDATE SET backend = excluded.backend, family = excluded.family, tbl = excluded.tbl,
    chain = excluded.chain, position = excluded.position, text = excluded.text, verdict = excluded.verdict,
    is_policy = excluded.is_policy, comment = excluded.comment, seen_at = excluded.seen_at, removed_at = NULL`;

const MARK_REMOVED = `UPDATE rules SET removed_at = $2 WHERE host = $1 AND removed_at IS NULL AND NOT (id = ANY($3::text[]))`;

const INSERT_CHANGE = 'INSERT INTO ruleset_changes (host, at, not_before, diff) VALUES ($1, $2, $3, $4)';

const SYNC = `UPDATE sessions SET ended_at = $2, state = 'CLOSED'
  WHERE host = $1 AND ended_at IS NULL AND NOT (id = ANY($3::text[]))`;

const LOCK_STREAM = 'SELECT last_seq, owner_hub FROM streams WHERE host = $1 AND stream_id = $2 FOR UPDATE';
const NEW_STREAM = `INSERT INTO streams (host, stream_id, last_seq, updated_at, owner_hub) VALUES ($1, $2, 0, $3, $4)
  ON CONFLICT (host, stream_id) DO NOTHING`;
const SET_SEQ = 'UPDATE streams SET last_seq = $3, updated_at = $4 WHERE host = $1 AND stream_id = $2';
const TOUCH_HOST = 'UPDATE hosts SET last_seen = $2 WHERE name = $1';

/** Runs a named (prepared once per connection) statement. */
function q(client: pg.PoolClient, name: string, text: string, values: unknown[]) {
  return client.query({ name, text, values });
}

/**
 * Writes batches to PostgreSQL: ONE transaction per batch holding the stream's row lock, so a batch and its
 * sequence commit together (ack after commit) and two hubs writing the same stream never both store a
 * sequence. Events become one multi-row statement per table and segment, in prepared statements.
 */
export class PgBatchWriter {
  readonly #pool: pg.Pool;
  readonly #partitions: Partitions;
  readonly #hubId: string;
  /** Called inside the transaction after the batch was written (the live notification). */
  afterWrite:
    | ((client: pg.PoolClient, host: string, streamId: string, batch: Batch, now: number) => Promise<void>)
    | null = null;

  constructor(pool: pg.Pool, partitions: Partitions, hubId: string) {
    this.#pool = pool;
    this.#partitions = partitions;
    this.#hubId = hubId;
  }

  /** Stores one batch exactly once; false for a sequence already stored. Throws StreamMovedError. */
  async write(host: string, streamId: string, batch: Batch, now: number): Promise<boolean> {
    await this.#ensurePartitions(batch.events);
    return inTransaction(this.#pool, (client) => this.#write(client, host, streamId, batch, now));
  }

  async #ensurePartitions(events: CollectorEvent[]): Promise<void> {
    const samples: number[] = [];
    const drops: number[] = [];
    const health: number[] = [];
    for (const e of events) {
      if (e.kind === 'counters' && e.counters.length > 0) samples.push(e.at);
      else if (e.kind === 'drop') drops.push(e.drop.at);
      else if (e.kind === 'health') health.push(e.health.at);
    }
    if (samples.length) {
      await this.#partitions.ensure('rule_samples', samples);
      await this.#partitions.ensure('rule_rollup_1m', samples);
    }
    if (drops.length) await this.#partitions.ensure('drops', drops);
    if (health.length) await this.#partitions.ensure('health_samples', health);
  }

  async #write(
    client: pg.PoolClient,
    host: string,
    streamId: string,
    batch: Batch,
    now: number,
  ): Promise<boolean> {
    let stream = (await q(client, 'ftpscope_lock_stream', LOCK_STREAM, [host, streamId])).rows[0];
    if (!stream) {
      await q(client, 'ftpscope_new_stream', NEW_STREAM, [host, streamId, now, this.#hubId]);
      stream = (await q(client, 'ftpscope_lock_stream', LOCK_STREAM, [host, streamId])).rows[0];
    }
    if (stream.owner_hub !== null && stream.owner_hub !== this.#hubId) {
      throw new StreamMovedError(host, stream.owner_hub);
    }
    if (batch.seq <= stream.last_seq) return false;
    let segment = emptySegment();
    for (const e of batch.events) {
      if (e.kind === 'ruleset' || e.kind === 'sync') {
        await this.#flush(client, host, segment, now);
        segment = emptySegment();
        if (e.kind === 'ruleset') await this.#ruleset(client, host, e);
        else await q(client, 'ftpscope_sync', SYNC, [host, e.at, e.activeSessionIds]);
        continue;
      }
      add(segment, e, batch.sentAt);
    }
    await this.#flush(client, host, segment, now);
    await q(client, 'ftpscope_set_seq', SET_SEQ, [host, streamId, batch.seq, now]);
    await q(client, 'ftpscope_touch_host', TOUCH_HOST, [host, now]);
    await this.afterWrite?.(client, host, streamId, batch, now);
    return true;
  }

  async #ruleset(client: pg.PoolClient, host: string, e: Extract<CollectorEvent, { kind: 'ruleset' }>) {
    const current = (await q(client, 'ftpscope_ruleset_at', RULESET_AT, [host])).rows[0]?.at as number | null;
    // An append: the newest ruleset by time is the current rule list; an older one only adds its change.
    if (current === null || e.at >= current) {
      const r = e.rules;
      await q(client, 'ftpscope_upsert_rules', UPSERT_RULES, [
        host,
        r.map((x) => x.id),
        r.map((x) => x.backend),
        r.map((x) => x.family),
        r.map((x) => x.table),
        r.map((x) => x.chain),
        r.map((x) => x.position),
        r.map((x) => x.text),
        r.map((x) => x.verdict),
        r.map((x) => x.isPolicy),
        r.map((x) => x.comment),
        e.at,
      ]);
      await q(client, 'ftpscope_mark_removed', MARK_REMOVED, [host, e.at, r.map((x) => x.id)]);
    }
    if (e.diff)
      await q(client, 'ftpscope_insert_change', INSERT_CHANGE, [
        host,
        e.at,
        e.notBefore ?? null,
        JSON.stringify(e.diff),
      ]);
  }

  async #flush(client: pg.PoolClient, host: string, s: Segment, now: number): Promise<void> {
    const sessions = fold(s.sessions, (x) => x.id, mergeSession);
    if (sessions.length > 0) {
      await q(client, 'ftpscope_upsert_sessions', UPSERT_SESSIONS, [
        host,
        sessions.map((x) => x.id),
        sessions.map((x) => x.family),
        sessions.map((x) => x.client.ip),
        sessions.map((x) => x.client.port),
        sessions.map((x) => x.server.ip),
        sessions.map((x) => x.server.port),
        sessions.map((x) => x.state),
        sessions.map((x) => x.helper),
        sessions.map((x) => x.user),
        sessions.map((x) => x.mode),
        sessions.map((x) => x.tls),
        sessions.map((x) => x.startedAt),
        sessions.map((x) => x.endedAt),
      ]);
    }
    const expectations = fold(s.expectations, (x) => x.e.id, mergeExpectation);
    if (expectations.length > 0) {
      await q(client, 'ftpscope_upsert_expectations', UPSERT_EXPECTATIONS, [
        host,
        expectations.map((x) => x.e.id),
        expectations.map((x) => x.e.sessionId),
        expectations.map((x) => x.e.family),
        expectations.map((x) => x.e.src),
        expectations.map((x) => x.e.dst),
        expectations.map((x) => x.e.port),
        expectations.map((x) => x.e.mode),
        expectations.map((x) => x.e.createdAt),
        expectations.map((x) => x.e.timeout),
        expectations.map((x) => x.seenAt),
        expectations.map((x) => x.e.fulfilledAt),
        expectations.map((x) => x.e.expiredAt),
      ]);
    }
    const data = fold(s.data, (x) => x.id, mergeData);
    if (data.length > 0) {
      await q(client, 'ftpscope_upsert_data', UPSERT_DATA, [
        host,
        data.map((x) => x.id),
        data.map((x) => x.sessionId),
        data.map((x) => x.expectationId),
        data.map((x) => x.attribution),
        data.map((x) => x.mode),
        data.map((x) => x.clientPort),
        data.map((x) => x.serverPort),
        data.map((x) => x.state),
        data.map((x) => x.established),
        data.map((x) => x.related),
        data.map((x) => x.startedAt),
        data.map((x) => x.endedAt),
        data.map((x) => x.bytes),
      ]);
    }
    if (s.counters.length > 0) await this.#counters(client, host, s.counters);
    if (s.drops.length > 0) {
      const d = s.drops;
      await q(client, 'ftpscope_insert_drops', INSERT_DROPS, [
        host,
        d.map((x) => x.at),
        d.map((x) => x.group),
        d.map((x) => x.ruleId),
        d.map((x) => x.prefix),
        d.map((x) => x.proto),
        d.map((x) => x.src),
        d.map((x) => x.dst),
        d.map((x) => x.sport),
        d.map((x) => x.dport),
        d.map((x) => x.flags),
      ]);
    }
    if (s.health.length > 0) {
      await q(client, 'ftpscope_insert_health', INSERT_HEALTH, [
        host,
        s.health.map((h) => h.at),
        s.health.map((h) => JSON.stringify(h)),
      ]);
    }
    if (s.gaps.length > 0) {
      const g = s.gaps;
      await q(client, 'ftpscope_insert_gaps', INSERT_GAPS, [
        host,
        g.map((x) => x.at),
        g.map((x) => x.source),
        g.map((x) => x.reason),
        g.map((x) => x.fromSeq),
        g.map((x) => x.toSeq),
      ]);
    }
    if (s.settings)
      await q(client, 'ftpscope_upsert_settings', UPSERT_SETTINGS, [host, now, JSON.stringify(s.settings)]);
  }

  /** Raw samples as they come; minute rollups summed per (rule, minute) and totals reduced per rule first. */
  async #counters(client: pg.PoolClient, host: string, cs: { at: number; c: RuleCounter }[]): Promise<void> {
    await q(client, 'ftpscope_insert_samples', INSERT_SAMPLES, [
      host,
      cs.map((x) => x.c.ruleId),
      cs.map((x) => x.at),
      cs.map((x) => x.c.packets),
      cs.map((x) => x.c.bytes),
      cs.map((x) => x.c.dPackets),
      cs.map((x) => x.c.dBytes),
    ]);
    const rollups = new Map<string, { rule: string; bucket: number; p: number; b: number }>();
    const totals = new Map<string, { at: number; c: RuleCounter }>();
    for (const x of cs) {
      const bucket = Math.floor(x.at / MINUTE) * MINUTE;
      const key = `${x.c.ruleId}\0${bucket}`;
      const r = rollups.get(key) ?? { rule: x.c.ruleId, bucket, p: 0, b: 0 };
      r.p += x.c.dPackets;
      r.b += x.c.dBytes;
      rollups.set(key, r);
      const t = totals.get(x.c.ruleId);
      if (!t || t.at <= x.at) totals.set(x.c.ruleId, x);
    }
    const r = [...rollups.values()];
    await q(client, 'ftpscope_upsert_rollups', UPSERT_ROLLUPS, [
      host,
      r.map((x) => x.rule),
      r.map((x) => x.bucket),
      r.map((x) => x.p),
      r.map((x) => x.b),
    ]);
    const t = [...totals.values()];
    await q(client, 'ftpscope_set_totals', SET_TOTALS, [
      host,
      t.map((x) => x.c.ruleId),
      t.map((x) => x.c.packets),
      t.map((x) => x.c.bytes),
      t.map((x) => x.at),
    ]);
  }
}

/** Adds an event to the segment; the latest settings of a segment replace earlier ones (EVENT_SEMANTICS). */
function add(s: Segment, e: CollectorEvent, sentAt: number): void {
  switch (e.kind) {
    case 'session':
      s.sessions.push(e.session);
      return;
    case 'expectation':
      // The collector framed the batch at sentAt (its clock, like createdAt): the timeout counts from there.
      s.expectations.push({ e: e.expectation, seenAt: Math.max(sentAt, e.expectation.createdAt) });
      return;
    case 'data':
      s.data.push(e.data);
      return;
    case 'counters':
      for (const c of e.counters) s.counters.push({ at: e.at, c });
      return;
    case 'drop':
      s.drops.push(e.drop);
      return;
    case 'health':
      s.health.push(e.health);
      return;
    case 'gap':
      s.gaps.push(e.gap);
      return;
    case 'settings':
      s.settings = e.settings;
      return;
    case 'ruleset':
    case 'sync':
      return;
  }
}
