import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { DAY_MS as DAY, type RetentionPolicy } from '../retention-policy.ts';
import type { Pruner } from '../store.ts';
import type { Db } from './db.ts';

type Tier = keyof RetentionPolicy;

// Each target deletes rows older than its tier's cutoff by an indexed time column.
const TARGETS: { table: string; where: string; tier: Tier }[] = [
  { table: 'rule_samples', where: 'at < ?', tier: 'rawDays' },
  { table: 'health_samples', where: 'at < ?', tier: 'rawDays' },
  { table: 'traces', where: 'started_at < ? AND ended_at IS NOT NULL', tier: 'rawDays' },
  { table: 'rule_rollup_1m', where: 'bucket < ?', tier: 'rollupDays' },
  { table: 'sessions', where: 'ended_at < ?', tier: 'historyDays' },
  { table: 'expectations', where: 'created_at < ?', tier: 'historyDays' },
  { table: 'data_connections', where: 'started_at < ? AND ended_at IS NOT NULL', tier: 'historyDays' },
  { table: 'data_channels', where: 'asked_at < ?', tier: 'historyDays' },
  { table: 'session_dialogues', where: 'at < ?', tier: 'historyDays' },
  { table: 'drops', where: 'at < ?', tier: 'historyDays' },
  { table: 'ruleset_changes', where: 'at < ?', tier: 'historyDays' },
  { table: 'gaps', where: 'at < ?', tier: 'historyDays' },
  { table: 'diagnoses', where: 'resolved_at < ?', tier: 'historyDays' },
  { table: 'alerts', where: 'sent_at < ?', tier: 'historyDays' },
];

/**
 * Prunes old history in small chunks, yielding to the event loop between chunks so ingest (same thread, same
 * connection) is never blocked for long. Runs on a timer; the clock is injected so tests can jump in time.
 */
export class Retention implements Pruner {
  readonly #policy: RetentionPolicy;
  readonly #now: () => number;
  readonly #chunk: number;
  readonly #stmts;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<Record<string, number>> | undefined;
  #stopped = false;

  constructor(db: Db, policy: RetentionPolicy, opts: { now: () => number; chunkRows?: number }) {
    this.#policy = policy;
    this.#now = opts.now;
    this.#chunk = opts.chunkRows ?? 2000;
    this.#stmts = TARGETS.map((t) => ({
      ...t,
      stmt: db.prepare(
        `DELETE FROM ${t.table} WHERE rowid IN (SELECT rowid FROM ${t.table} WHERE ${t.where} LIMIT ${this.#chunk})`,
      ),
    }));
  }

  /** Deletes everything past its retention; returns rows deleted per table. Concurrent calls share one run. */
  pruneOnce(): Promise<Record<string, number>> {
    this.#running ??= this.#prune().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #prune(): Promise<Record<string, number>> {
    const now = this.#now();
    const deleted: Record<string, number> = {};
    for (const t of this.#stmts) {
      const cutoff = now - this.#policy[t.tier] * DAY;
      let total = 0;
      for (;;) {
        if (this.#stopped) break;
        const n = t.stmt.run(cutoff).changes;
        total += n;
        deleted[t.table] = total;
        if (n < this.#chunk) break;
        await yieldToEventLoop();
      }
    }
    return deleted;
  }

  /** Prunes now and then every intervalMs; errors are reported, never thrown. */
  start(intervalMs: number, onError: (err: Error) => void): void {
    const run = () => this.pruneOnce().catch(onError);
    void run();
    this.#timer = setInterval(run, intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and lets a running prune finish its current chunk. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
  }
}
