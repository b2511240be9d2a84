import type { RuleDef, RulesetDiff } from '@ftpscope/shared';
import type pg from 'pg';
import type { RuleRecord, RulesetChangeRecord, SeriesBucket } from '../records.ts';
import { fillGrid, seriesGrid } from '../series-grid.ts';

interface RuleRow {
  id: string;
  backend: RuleDef['backend'];
  family: string;
  tbl: string;
  chain: string;
  position: number;
  text: string;
  verdict: RuleDef['verdict'];
  is_policy: boolean;
  comment: string | null;
  packets: number;
  bytes: number;
  drops_last_minute: number;
}

/** A stored ruleset change (diff is jsonb, parsed by the driver). */
export interface PgChangeRow {
  change_id: string;
  host: string;
  at: number;
  not_before: number | null;
  diff: RulesetDiff;
}

/** A stored change as a record. */
export function toChangeRecord(r: PgChangeRow): RulesetChangeRecord {
  return { id: r.change_id, host: r.host, at: r.at, notBefore: r.not_before, diff: r.diff };
}

const SERIES = (
  table: string,
  t: string,
) => `SELECT ((${t} - $3::int8) / $5::int8)::int8 AS i, sum(d_packets)::int8 AS p,
    sum(d_bytes)::int8 AS b FROM ${table}
  WHERE host = $1 AND rule_id = $2 AND ${t} >= $3 AND ${t} < $4 GROUP BY 1`;

/** Rules with their counters, series and ruleset changes, on PostgreSQL. */
export class PgRules {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async list(host: string, now: number): Promise<RuleRecord[]> {
    const { rows } = await this.#pool.query<RuleRow>({
      name: 'ftpscope_rules_list',
      text: `SELECT r.*, CASE WHEN r.verdict IN ('drop', 'reject') THEN
          (SELECT coalesce(sum(s.d_packets), 0)::int8 FROM rule_samples s
           WHERE s.host = r.host AND s.rule_id = r.id AND s.at > $2::int8 - 60000) ELSE 0 END AS drops_last_minute
        FROM rules r WHERE r.host = $1 AND r.removed_at IS NULL
        ORDER BY r.family COLLATE "C", r.tbl COLLATE "C", r.chain COLLATE "C", r.is_policy DESC, r.position`,
      values: [host, now],
    });
    return rows.map((r) => ({
      id: r.id,
      backend: r.backend,
      family: r.family,
      table: r.tbl,
      chain: r.chain,
      position: r.position,
      text: r.text,
      verdict: r.verdict,
      isPolicy: r.is_policy,
      comment: r.comment,
      packets: r.packets,
      bytes: r.bytes,
      dropsLastMinute: r.drops_last_minute,
    }));
  }

  async exists(host: string, ruleId: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query({
      name: 'ftpscope_rule_exists',
      text: 'SELECT 1 FROM rules WHERE host = $1 AND id = $2',
      values: [host, ruleId],
    });
    return (rowCount ?? 0) > 0;
  }

  async series(
    host: string,
    rule: string,
    from: number,
    to: number,
    stepMs: number,
  ): Promise<{ tier: 'raw' | '1m'; buckets: SeriesBucket[] }> {
    const grid = seriesGrid(from, to, stepMs);
    const values = [host, rule, grid.start, to, grid.step];
    const { rows } = await this.#pool.query<{ i: number; p: number; b: number }>(
      grid.tier === 'raw'
        ? { name: 'ftpscope_series_raw', text: SERIES('rule_samples', 'at'), values }
        : { name: 'ftpscope_series_1m', text: SERIES('rule_rollup_1m', 'bucket'), values },
    );
    return { tier: grid.tier, buckets: fillGrid(grid, rows) };
  }

  async changes(host: string, from: number, to: number): Promise<RulesetChangeRecord[]> {
    const { rows } = await this.#pool.query<PgChangeRow>({
      name: 'ftpscope_changes',
      text: `SELECT change_id, host, at, not_before, diff FROM ruleset_changes WHERE host = $1 AND at >= $2 AND at <= $3
        ORDER BY at LIMIT 10000`,
      values: [host, from, to],
    });
    return rows.map(toChangeRecord);
  }
}
