import { type RuleCounter, type RuleDef, type RulesetDiff, rulesetChangeId } from '@ftpscope/shared';
import { type StoredTotals, storedDelta } from '../counter-deltas.ts';
import type { RuleRecord, RulesetChangeRecord, SeriesBucket } from '../records.ts';
import { fillGrid, seriesGrid } from '../series-grid.ts';
import type { Db } from './db.ts';

const MINUTE = 60_000;

interface RuleRow {
  id: string;
  backend: RuleDef['backend'];
  family: string;
  tbl: string;
  chain: string;
  position: number;
  text: string;
  verdict: RuleDef['verdict'];
  is_policy: number;
  comment: string | null;
  packets: number;
  bytes: number;
  drops_last_minute: number;
}

/** Rule definitions, their counters (raw samples, 1-minute rollups, totals) and ruleset changes. */
export class RulesRepo {
  readonly #upsertRule;
  readonly #markRemoved;
  readonly #insertChange;
  readonly #insertSample;
  readonly #totals;
  readonly #upsertRollup;
  readonly #setTotals;
  readonly #list;
  readonly #exists;
  readonly #rawSeries;
  readonly #rollupSeries;
  readonly #changes;
  readonly #rulesetAt;

  constructor(db: Db) {
    this.#rulesetAt = db.prepare('SELECT max(seen_at) FROM rules WHERE host = ?').pluck();
    this.#upsertRule = db.prepare(
      `INSERT INTO rules (host, id, backend, family, tbl, chain, position, text, verdict, is_policy, comment, seen_at)
       VALUES (@host, @id, @backend, @family, @table, @chain, @position, @text, @verdict, @is_policy, @comment, @at)
       ON CONFLICT(host, id) DO UPDATE SET backend = excluded.backend, family = excluded.family, tbl = excluded.tbl,
         chain = excluded.chain, position = excluded.position, text = excluded.text, verdict = excluded.verdict,
         is_policy = excluded.is_policy, comment = excluded.comment, seen_at = excluded.seen_at, removed_at = NULL`,
    );
    this.#markRemoved = db.prepare(
      `UPDATE rules SET removed_at = @at
       WHERE host = @host AND removed_at IS NULL AND id NOT IN (SELECT value FROM json_each(@ids))`,
    );
    this.#insertChange = db.prepare(
      'INSERT INTO ruleset_changes (host, change_id, at, not_before, diff) VALUES (?, ?, ?, ?, ?)',
    );
    this.#insertSample = db.prepare(
      `INSERT INTO rule_samples (host, rule_id, at, packets, bytes, d_packets, d_bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host, rule_id, at) DO NOTHING`,
    );
    this.#totals = db.prepare(
      'SELECT packets, bytes, counters_at AS at FROM rules WHERE host = ? AND id = ?',
    );
    this.#upsertRollup = db.prepare(
      `INSERT INTO rule_rollup_1m (host, rule_id, bucket, d_packets, d_bytes) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(host, rule_id, bucket) DO UPDATE SET d_packets = d_packets + excluded.d_packets,
         d_bytes = d_bytes + excluded.d_bytes`,
    );
    this.#setTotals = db.prepare(
      `UPDATE rules SET packets = ?, bytes = ?, counters_at = ?
       WHERE host = ? AND id = ? AND (counters_at IS NULL OR counters_at <= ?)`,
    );
    this.#list = db.prepare(
      `SELECT r.*, CASE WHEN r.verdict IN ('drop', 'reject') THEN
          (SELECT coalesce(sum(s.d_packets), 0) FROM rule_samples s
           WHERE s.host = r.host AND s.rule_id = r.id AND s.at > @now - 60000) ELSE 0 END AS drops_last_minute
       FROM rules r WHERE r.host = @host AND r.removed_at IS NULL
       ORDER BY r.family, r.tbl, r.chain, r.is_policy DESC, r.position`,
    );
    this.#exists = db.prepare('SELECT 1 FROM rules WHERE host = ? AND id = ?');
    this.#rawSeries = db.prepare(
      `SELECT CAST((at - @from) / @step AS INTEGER) AS i, sum(d_packets) AS p, sum(d_bytes) AS b FROM rule_samples
       WHERE host = @host AND rule_id = @rule AND at >= @from AND at < @to GROUP BY i`,
    );
    this.#rollupSeries = db.prepare(
      `SELECT CAST((bucket - @from) / @step AS INTEGER) AS i, sum(d_packets) AS p, sum(d_bytes) AS b FROM rule_rollup_1m
       WHERE host = @host AND rule_id = @rule AND bucket >= @from AND bucket < @to GROUP BY i`,
    );
    this.#changes = db.prepare(
      `SELECT change_id, host, at, not_before, diff FROM ruleset_changes WHERE host = @host AND at >= @from AND at <= @to
       ORDER BY at LIMIT 10000`,
    );
  }

  /**
   * The full rule list of a host: upsert every rule, mark the missing ones removed, record the diff. A ruleset
   * older than the one applied last (a replayed spool) only adds its change: the newest is current.
   */
  applyRuleset(
    host: string,
    at: number,
    rules: RuleDef[],
    diff: RulesetDiff | null,
    notBefore: number | null = null,
    changeId: string = rulesetChangeId({ at }),
  ): string | null {
    const current = this.#rulesetAt.get(host) as number | null;
    if (current === null || at >= current) {
      for (const r of rules) {
        this.#upsertRule.run({ host, ...r, is_policy: r.isPolicy ? 1 : 0, at });
      }
      this.#markRemoved.run({ host, at, ids: JSON.stringify(rules.map((r) => r.id)) });
    }
    if (!diff) return null;
    this.#insertChange.run(host, changeId, at, notBefore, JSON.stringify(diff));
    return changeId;
  }

  /**
   * One poll of counters: raw samples, the minute rollup and the current totals. Idempotent per (host, rule,
   * sample time): a sample stored before is ignored; deltas from the stored totals (counter-deltas.ts).
   */
  applyCounters(host: string, at: number, counters: RuleCounter[]): void {
    const bucket = Math.floor(at / MINUTE) * MINUTE;
    for (const c of counters) {
      const prev = this.#totals.get(host, c.ruleId) as StoredTotals | undefined;
      const { dPackets, dBytes } = storedDelta(prev, at, c);
      if (this.#insertSample.run(host, c.ruleId, at, c.packets, c.bytes, dPackets, dBytes).changes === 0)
        continue;
      this.#upsertRollup.run(host, c.ruleId, bucket, dPackets, dBytes);
      this.#setTotals.run(c.packets, c.bytes, at, host, c.ruleId, at);
    }
  }

  /** Current rules of a host in chain order, policies first, with drops over the last minute. */
  list(host: string, now: number): RuleRecord[] {
    return (this.#list.all({ host, now }) as RuleRow[]).map((r) => ({
      id: r.id,
      backend: r.backend,
      family: r.family,
      table: r.tbl,
      chain: r.chain,
      position: r.position,
      text: r.text,
      verdict: r.verdict,
      isPolicy: r.is_policy === 1,
      comment: r.comment,
      packets: r.packets,
      bytes: r.bytes,
      dropsLastMinute: r.drops_last_minute,
    }));
  }

  /** True when the host has (or had) this rule. */
  exists(host: string, ruleId: string): boolean {
    return this.#exists.get(host, ruleId) !== undefined;
  }

  /**
   * Counter deltas in `step`-wide buckets over [from, to), empty buckets as zeros. Ranges up to 6 h read raw
   * samples, longer ones the minute rollups (then step is rounded up to whole minutes).
   */
  series(
    host: string,
    rule: string,
    from: number,
    to: number,
    stepMs: number,
  ): { tier: 'raw' | '1m'; buckets: SeriesBucket[] } {
    const grid = seriesGrid(from, to, stepMs);
    const stmt = grid.tier === 'raw' ? this.#rawSeries : this.#rollupSeries;
    const rows = stmt.all({ host, rule, from: grid.start, to, step: grid.step }) as {
      i: number;
      p: number;
      b: number;
    }[];
    return { tier: grid.tier, buckets: fillGrid(grid, rows) };
  }

  /** Ruleset changes of a host in a window, oldest first. */
  changes(host: string, from: number, to: number): RulesetChangeRecord[] {
    return (this.#changes.all({ host, from, to }) as ChangeRow[]).map(toChangeRecord);
  }
}

/** A stored ruleset change. */
export interface ChangeRow {
  change_id: string;
  host: string;
  at: number;
  not_before: number | null;
  diff: string;
}

/** A stored change as a record. */
export function toChangeRecord(r: ChangeRow): RulesetChangeRecord {
  return {
    id: r.change_id,
    host: r.host,
    at: r.at,
    notBefore: r.not_before,
    diff: JSON.parse(r.diff) as RulesetDiff,
  };
}
