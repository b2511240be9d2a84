import {
  type Batch,
  type CollectorEvent,
  type DataChannelAttempt,
  type DataConnection,
  type DroppedPacket,
  type Expectation,
  type FirewallInfo,
  type FtpServerSettings,
  type FtpSession,
  type Gap,
  type NetfilterHealth,
  type RuleCounter,
  rulesetChangeId,
} from '@ftpscope/shared';
import type pg from 'pg';
import { type StoredDialogue, storedDialogue } from '../dialogue-record.ts';
import { StreamMovedError } from '../errors.ts';
import {
  INSERT_CHANGE,
  INSERT_DROPS,
  INSERT_GAPS,
  INSERT_HEALTH,
  LOCK_STREAM,
  MARK_REMOVED,
  NEW_STREAM,
  RULESET_AT,
  SET_SEQ,
  SYNC,
  TOUCH_HOST,
  UPSERT_ATTEMPTS,
  UPSERT_DATA,
  UPSERT_DIALOGUES,
  UPSERT_EXPECTATIONS,
  UPSERT_FIREWALL,
  UPSERT_RULES,
  UPSERT_SESSIONS,
  UPSERT_SETTINGS,
} from './batch-sql.ts';
import { inTransaction } from './connect.ts';
import { fold, mergeAttempt, mergeData, mergeExpectation, mergeSession } from './fold.ts';
import type { Partitions } from './partitions.ts';
import { writeCounters } from './write-counters.ts';

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
  attempts: { sessionId: string; a: DataChannelAttempt }[];
  dialogues: { sessionId: string; d: StoredDialogue }[];
  firewall: FirewallInfo | null;
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
  attempts: [],
  dialogues: [],
  firewall: null,
});

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
        rulesetChangeId(e),
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
        sessions.map((x) => x.requestedHost ?? null),
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
    if (s.counters.length > 0) await writeCounters(client, host, s.counters);
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
        d.map((x) => x.source ?? null),
        d.map((x) => x.verdict ?? null),
      ]);
    }
    const attempts = fold(s.attempts, (x) => x.a.id, mergeAttempt);
    if (attempts.length > 0) {
      const a = attempts.map((x) => x.a);
      await q(client, 'ftpscope_upsert_attempts', UPSERT_ATTEMPTS, [
        host,
        a.map((x) => x.id),
        attempts.map((x) => x.sessionId),
        a.map((x) => x.mode),
        a.map((x) => x.command),
        a.map((x) => x.address),
        a.map((x) => x.port),
        a.map((x) => x.askedAt),
        a.map((x) => x.outcome),
        a.map((x) => x.settledAt),
        a.map((x) => x.bytes),
        a.map((x) => x.bytesFrom),
        a.map((x) => x.ruleId),
        a.map((x) => x.dropSource),
        a.map((x) => x.tiedBy),
        a.map((x) => x.expectationId),
        a.map((x) => x.dataConnectionId),
        a.map((x) => x.reason),
      ]);
    }
    // A report without dialogue leaves the stored one; of several in a batch, the latest wins.
    const dialogues = fold(
      s.dialogues,
      (x) => x.sessionId,
      (_older, newer) => newer,
    );
    if (dialogues.length > 0) {
      await q(client, 'ftpscope_upsert_dialogues', UPSERT_DIALOGUES, [
        host,
        dialogues.map((x) => x.sessionId),
        dialogues.map((x) => x.d.at),
        dialogues.map((x) => JSON.stringify(x.d.lines)),
        dialogues.map((x) => x.d.omitted),
        dialogues.map((x) => JSON.stringify(x.d.verbs)),
      ]);
    }
    if (s.firewall)
      await q(client, 'ftpscope_upsert_firewall', UPSERT_FIREWALL, [host, now, JSON.stringify(s.firewall)]);
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
}

/** Adds an event to the segment; the latest settings of a segment replace earlier ones (EVENT_SEMANTICS). */
function add(s: Segment, e: CollectorEvent, sentAt: number): void {
  switch (e.kind) {
    case 'session': {
      s.sessions.push(e.session);
      for (const a of e.session.attempts ?? []) s.attempts.push({ sessionId: e.session.id, a });
      const d = storedDialogue(e.session.dialogue, e.session.dialogueOmitted);
      if (d) s.dialogues.push({ sessionId: e.session.id, d });
      return;
    }
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
    case 'firewall':
      s.firewall = e.firewall;
      return;
    case 'ruleset':
    case 'sync':
      return;
  }
}
