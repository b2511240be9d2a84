import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type pg from 'pg';
import { DAY_MS, type RetentionPolicy } from '../retention-policy.ts';
import type { Pruner } from '../store.ts';
import type { Partitions } from './partitions.ts';

/** A finished session stays in the upsert table this long (late reports still merge), then moves to sessions_done. */
export const ARCHIVE_AFTER_MS = 3_600_000;

// Tables that are not partitioned: rows past their tier's cutoff are deleted in chunks.
const TARGETS: { table: string; where: string; tier: keyof RetentionPolicy }[] = [
  { table: 'expectations', where: 'created_at < $1', tier: 'historyDays' },
  { table: 'data_connections', where: 'started_at < $1 AND ended_at IS NOT NULL', tier: 'historyDays' },
  { table: 'data_channels', where: 'asked_at < $1', tier: 'historyDays' },
  { table: 'session_dialogues', where: 'at < $1', tier: 'historyDays' },
  { table: 'ruleset_changes', where: 'at < $1', tier: 'historyDays' },
  { table: 'gaps', where: 'at < $1', tier: 'historyDays' },
  // A trace's pcap goes with it (ON DELETE CASCADE).
  { table: 'traces', where: 'started_at < $1 AND ended_at IS NOT NULL', tier: 'rawDays' },
  { table: 'diagnoses', where: 'resolved_at < $1', tier: 'historyDays' },
  { table: 'alerts', where: 'sent_at < $1', tier: 'historyDays' },
];

/**
 * PostgreSQL retention: moves sessions finished over an hour ago into the day partitions of sessions_done,
 * drops whole partitions past their tier (samples, rollups, drops, finished sessions) and deletes old rows of the
 * other tables in chunks. Every hub runs it; partition work is serialised by an advisory lock and the rest is
 * safe to run twice.
 */
export class PgRetention implements Pruner {
  readonly #pool: pg.Pool;
  readonly #partitions: Partitions;
  readonly #policy: RetentionPolicy;
  readonly #now: () => number;
  readonly #chunk: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<Record<string, number>> | undefined;
  #stopped = false;

  constructor(
    pool: pg.Pool,
    partitions: Partitions,
    policy: RetentionPolicy,
    opts: { now: () => number; chunkRows?: number },
  ) {
    this.#pool = pool;
    this.#partitions = partitions;
    this.#policy = policy;
    this.#now = opts.now;
    this.#chunk = opts.chunkRows ?? 5000;
  }

  pruneOnce(): Promise<Record<string, number>> {
    this.#running ??= this.#prune().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #prune(): Promise<Record<string, number>> {
    const now = this.#now();
    const out: Record<string, number> = {};
    await this.#archiveSessions(now);
    Object.assign(out, await this.#partitions.prune());
    for (const t of TARGETS) {
      const cutoff = now - this.#policy[t.tier] * DAY_MS;
      let total = 0;
      for (;;) {
        if (this.#stopped) break;
        const r = await this.#pool.query(
          `DELETE FROM ${t.table} WHERE ctid IN (SELECT ctid FROM ${t.table} WHERE ${t.where} LIMIT ${this.#chunk})`,
          [cutoff],
        );
        total += r.rowCount ?? 0;
        if ((r.rowCount ?? 0) < this.#chunk) break;
        await yieldToEventLoop();
      }
      out[t.table] = total;
    }
    return out;
  }

  /** Moves finished sessions out of the upsert table, a chunk per transaction. */
  async #archiveSessions(now: number): Promise<void> {
    const before = now - ARCHIVE_AFTER_MS;
    const days = await this.#pool.query<{ day: number }>(
      'SELECT DISTINCT ended_at / $2 AS day FROM sessions WHERE ended_at < $1',
      [before, DAY_MS],
    );
    await this.#partitions.ensureDays(
      'sessions_done',
      days.rows.map((r) => r.day),
    );
    for (;;) {
      if (this.#stopped) return;
      const r = await this.#pool.query(
        `WITH moved AS (DELETE FROM sessions WHERE ctid IN
           (SELECT ctid FROM sessions WHERE ended_at < $1 LIMIT ${this.#chunk}) RETURNING *)
         INSERT INTO sessions_done (host, id, family, client_ip, client_port, server_ip, server_port, state, helper,
           username, mode, tls, started_at, ended_at, requested_host)
         SELECT host, id, family, client_ip, client_port, server_ip, server_port, state, helper, username, mode, tls,
           started_at, ended_at, requested_host FROM moved ON CONFLICT DO NOTHING`,
        [before],
      );
      if ((r.rowCount ?? 0) < this.#chunk) return;
      await yieldToEventLoop();
    }
  }

  start(intervalMs: number, onError: (err: Error) => void): void {
    const run = () => this.pruneOnce().catch(onError);
    void run();
    this.#timer = setInterval(run, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
  }
}
