import type pg from 'pg';
import { DAY_MS, type RetentionPolicy } from '../retention-policy.ts';
import { inTransaction } from './connect.ts';

/** The day-partitioned tables, their partition key and the retention tier that drops their partitions. */
export const PARTITIONED = {
  rule_samples: { key: 'at', tier: 'rawDays' },
  health_samples: { key: 'at', tier: 'rawDays' },
  rule_rollup_1m: { key: 'bucket', tier: 'rollupDays' },
  drops: { key: 'at', tier: 'historyDays' },
  sessions_done: { key: 'ended_at', tier: 'historyDays' },
} as const satisfies Record<string, { key: string; tier: keyof RetentionPolicy }>;

/** A day-partitioned table. */
export type PartitionedTable = keyof typeof PARTITIONED;

/** Partitions are created this many days ahead; later (or much older) times go to the default partition. */
const AHEAD_DAYS = 7;
/** Any constant key: one hub at a time creates, attaches or drops partitions. */
const PARTITION_LOCK = 7_170_002;

const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

/** `drops_p20260301` for the day starting at 2026-03-01T00:00Z. */
export function partitionName(table: PartitionedTable, day: number): string {
  return `${table}_p${new Date(day * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/**
 * Creates day partitions before rows need them and drops those past retention. A row whose day has no
 * partition (a collector clock far off) lands in `<table>_pdefault`; when its day later gets a partition, the
 * rows move there before it is attached. Several hubs may call this at once: an advisory lock serialises it.
 */
export class Partitions {
  readonly #pool: pg.Pool;
  readonly #policy: RetentionPolicy;
  readonly #now: () => number;
  /** `table:day` of partitions known to exist (created here or by another hub). */
  readonly #known = new Set<string>();

  constructor(pool: pg.Pool, policy: RetentionPolicy, now: () => number) {
    this.#pool = pool;
    this.#policy = policy;
    this.#now = now;
  }

  /** At start: default partitions, the partitions of today and the days ahead, and what exists already. */
  async init(): Promise<void> {
    for (const table of Object.keys(PARTITIONED) as PartitionedTable[]) {
      await this.#pool.query(`CREATE TABLE IF NOT EXISTS ${table}_pdefault PARTITION OF ${table} DEFAULT`);
    }
    const { rows } = await this.#pool.query<{ relname: string }>(
      `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = ANY($1::regclass[])`,
      [Object.keys(PARTITIONED)],
    );
    for (const { relname } of rows) {
      const m = /^(.+)_p(\d{4})(\d{2})(\d{2})$/.exec(relname);
      if (m) this.#known.add(`${m[1]}:${dayOf(Date.parse(`${m[2]}-${m[3]}-${m[4]}T00:00:00Z`))}`);
    }
    const today = dayOf(this.#now());
    for (const table of Object.keys(PARTITIONED) as PartitionedTable[]) {
      await this.ensureDays(table, [today, today + 1, today + 2]);
    }
  }

  /** Makes sure the partitions for these times exist (times outside the window stay in the default). */
  async ensure(table: PartitionedTable, times: Iterable<number>): Promise<void> {
    const days = new Set<number>();
    for (const t of times) days.add(dayOf(t));
    await this.ensureDays(table, days);
  }

  /** Same, by day numbers (days since the epoch). */
  async ensureDays(table: PartitionedTable, days: Iterable<number>): Promise<void> {
    const today = dayOf(this.#now());
    const oldest = today - this.#policy[PARTITIONED[table].tier] - 1;
    for (const day of days) {
      if (day < oldest || day > today + AHEAD_DAYS || this.#known.has(`${table}:${day}`)) continue;
      await this.#create(table, day);
      this.#known.add(`${table}:${day}`);
    }
  }

  async #create(table: PartitionedTable, day: number): Promise<void> {
    const name = partitionName(table, day);
    const key = PARTITIONED[table].key;
    const lo = day * DAY_MS;
    const hi = lo + DAY_MS;
    await inTransaction(this.#pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
      const exists = await client.query('SELECT to_regclass($1) AS r', [name]);
      if (exists.rows[0]?.r !== null) return;
      // Built beside the table, filled from the default partition, then attached: the CHECK lets ATTACH skip
      // validating the new partition; the default is scanned, but it only holds far-off rows.
      await client.query(`CREATE TABLE ${name} (LIKE ${table} INCLUDING DEFAULTS)`);
      await client.query(
        `ALTER TABLE ${name} ADD CONSTRAINT ${name}_day CHECK (${key} >= ${lo} AND ${key} < ${hi})`,
      );
      await client.query(
        `WITH moved AS (DELETE FROM ${table}_pdefault WHERE ${key} >= ${lo} AND ${key} < ${hi} RETURNING *)
         INSERT INTO ${name} SELECT * FROM moved`,
      );
      await client.query(`ALTER TABLE ${table} ATTACH PARTITION ${name} FOR VALUES FROM (${lo}) TO (${hi})`);
      await client.query(`ALTER TABLE ${name} DROP CONSTRAINT ${name}_day`);
    });
  }

  /**
   * Retention: drops every partition wholly older than its tier's cutoff, deletes such rows from the default
   * partition, and creates the days ahead. Returns rows removed per table.
   */
  async prune(): Promise<Record<string, number>> {
    const now = this.#now();
    const out: Record<string, number> = {};
    for (const table of Object.keys(PARTITIONED) as PartitionedTable[]) {
      const { key, tier } = PARTITIONED[table];
      const cutoff = now - this.#policy[tier] * DAY_MS;
      const removed = await inTransaction(this.#pool, async (client) => {
        let n = 0;
        await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
        const { rows } = await client.query<{ relname: string }>(
          `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = $1::regclass AND c.relname ~ '_p[0-9]{8}$' ORDER BY c.relname`,
          [table],
        );
        for (const { relname } of rows) {
          const d = relname.slice(-8);
          const day = dayOf(Date.parse(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T00:00:00Z`));
          if ((day + 1) * DAY_MS > cutoff) continue;
          const count = await client.query<{ n: number }>(`SELECT count(*) AS n FROM ${relname}`);
          n += count.rows[0]?.n ?? 0;
          await client.query(`DROP TABLE ${relname}`);
          this.#known.delete(`${table}:${day}`);
        }
        const del = await client.query(`DELETE FROM ${table}_pdefault WHERE ${key} < $1`, [cutoff]);
        return n + (del.rowCount ?? 0);
      });
      out[table] = removed;
      const today = dayOf(now);
      await this.ensureDays(table, [today, today + 1, today + 2]);
    }
    return out;
  }
}
