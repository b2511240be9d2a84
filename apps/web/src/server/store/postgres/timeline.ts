import type pg from 'pg';
import { type DropRow, type GapRow, toDropRecord, toGapRecord } from '../event-rows.ts';
import {
  TIMELINE_MAX_ROWS as MAX_ROWS,
  type RuleDropsRecord,
  type TimelineFilter,
  type TimelineRecords,
} from '../records.ts';
import type { PgDiagnoses } from './diagnoses.ts';
import { type PgChangeRow, toChangeRecord } from './rules.ts';
import type { PgSessionRow, PgSessions } from './sessions.ts';

interface RuleDropsRow {
  host: string;
  rule_id: string;
  bucket: number;
  packets: number;
  family: string;
  chain: string;
  position: number;
  text: string;
  verdict: RuleDropsRecord['rule']['verdict'];
  is_policy: boolean;
}

// Per drop rule per minute from the rollups (kept 90 days), in time order (index on bucket) up to the row limit.
const RULE_DROPS = `SELECT rr.host, rr.rule_id, rr.bucket, rr.d_packets AS packets, r.family, r.chain, r.position,
    r.text, r.verdict, r.is_policy
  FROM rules r JOIN rule_rollup_1m rr
    ON rr.host = r.host AND rr.rule_id = r.id AND rr.bucket > $2::int8 - 60000 AND rr.bucket <= $3
  WHERE r.host = ANY($1::text[]) AND r.verdict IN ('drop', 'reject') AND rr.d_packets > 0
  ORDER BY rr.bucket, rr.host COLLATE "C", r.family COLLATE "C", r.tbl COLLATE "C", r.chain COLLATE "C",
    r.is_policy DESC, r.position
  LIMIT ${MAX_ROWS + 1}`;

// The raw samples (7 days) add the first and last second with drops of each of those minutes: one grouped
// pass over the minutes read, instead of two probes per minute.
const DROP_SECONDS = `SELECT host, rule_id, (at / 60000) * 60000 AS bucket, min(at) AS first_at, max(at) AS last_at
  FROM rule_samples WHERE host = ANY($1::text[]) AND rule_id = ANY($2::text[]) AND at >= $3 AND at <= $4
    AND d_packets > 0
  GROUP BY 1, 2, 3`;

/** The first MAX_ROWS rows of a query that read MAX_ROWS + 1 ordered by time; remembers the first left out. */
class RowCap {
  truncated = false;
  cutAt = Number.POSITIVE_INFINITY;

  take<R>(rows: R[], at: (r: R) => number): R[] {
    const next = rows[MAX_ROWS];
    if (next === undefined) return rows;
    this.truncated = true;
    this.cutAt = Math.min(this.cutAt, at(next));
    return rows.slice(0, MAX_ROWS);
  }
}

/** Everything about one client (or host) in a window, on PostgreSQL (same rules as the SQLite timeline). */
export class PgTimeline {
  readonly #pool: pg.Pool;
  readonly #sessions: PgSessions;
  readonly #diagnoses: PgDiagnoses;

  constructor(pool: pg.Pool, sessions: PgSessions, diagnoses: PgDiagnoses) {
    this.#pool = pool;
    this.#sessions = sessions;
    this.#diagnoses = diagnoses;
  }

  /** First and last second with drops in each minute read, by `host\0rule\0bucket`. */
  async #dropSeconds(
    minutes: RuleDropsRow[],
    f: TimelineFilter,
  ): Promise<Map<string, { first_at: number; last_at: number }>> {
    const out = new Map<string, { first_at: number; last_at: number }>();
    const first = minutes[0];
    const last = minutes.at(-1);
    if (!first || !last) return out;
    const { rows } = await this.#pool.query<{
      host: string;
      rule_id: string;
      bucket: number;
      first_at: number;
      last_at: number;
    }>(DROP_SECONDS, [
      [...new Set(minutes.map((m) => m.host))],
      [...new Set(minutes.map((m) => m.rule_id))],
      Math.max(first.bucket, f.from),
      Math.min(last.bucket + 59_999, f.to),
    ]);
    for (const r of rows) out.set(`${r.host}\0${r.rule_id}\0${r.bucket}`, r);
    return out;
  }

  async run(f: TimelineFilter): Promise<TimelineRecords> {
    const cap = new RowCap();
    const values: unknown[] = [f.from, f.to];
    const param = (v: unknown) => `$${values.push(v)}`;
    const where = ['started_at <= $2', '(ended_at IS NULL OR ended_at >= $1)'];
    if (f.client !== undefined) where.push(`client_ip = ${param(f.client)}`);
    if (f.user !== undefined) where.push(`username = ${param(f.user)}`);
    if (f.host !== undefined) where.push(`host = ${param(f.host)}`);
    const sessions = await this.#pool.query<PgSessionRow>(
      `SELECT * FROM all_sessions WHERE ${where.join(' AND ')} ORDER BY started_at LIMIT ${MAX_ROWS + 1}`,
      values,
    );
    const rows = cap.take(sessions.rows, (r) => r.started_at);
    const ips = new Set<string>(f.client !== undefined ? [f.client] : rows.map((r) => r.client_ip));
    const hosts = new Set<string>(f.host !== undefined ? [f.host] : rows.map((r) => r.host));
    const out: TimelineRecords = {
      sessions: await this.#sessions.records(rows),
      drops: [],
      changes: [],
      ruleDrops: [],
      diagnoses: [],
      gaps: [],
      truncated: false,
      cutAt: null,
    };

    if (ips.size > 0) {
      const dv: unknown[] = [f.from, f.to, [...ips]];
      const hostCond = f.host !== undefined ? `AND host = $${dv.push(f.host)}` : '';
      const drops = await this.#pool.query<DropRow>(
        `SELECT * FROM drops WHERE at >= $1 AND at <= $2 AND (src = ANY($3::text[]) OR dst = ANY($3::text[]))
         ${hostCond} ORDER BY at, id LIMIT ${MAX_ROWS + 1}`,
        dv,
      );
      out.drops = cap.take(drops.rows, (d) => d.at).map(toDropRecord);
      for (const d of out.drops) hosts.add(d.host);
    }

    if (hosts.size > 0) {
      const hostList = [...hosts];
      const changes = await this.#pool.query<PgChangeRow>(
        `SELECT change_id, host, at, not_before, diff FROM ruleset_changes WHERE host = ANY($1::text[]) AND at >= $2 AND at <= $3
         ORDER BY at, id LIMIT ${MAX_ROWS + 1}`,
        [hostList, f.from, f.to],
      );
      out.changes = cap.take(changes.rows, (c) => c.at).map(toChangeRecord);
      const ruleDrops = await this.#pool.query<RuleDropsRow>(RULE_DROPS, [hostList, f.from, f.to]);
      // An item of the cut minute may start after other kinds' items: cut at the minute itself.
      const minutes = cap.take(ruleDrops.rows, (r) => r.bucket);
      const seconds = await this.#dropSeconds(minutes, f);
      out.ruleDrops = minutes.map((r) =>
        toRuleDropsRecord(r, seconds.get(`${r.host}\0${r.rule_id}\0${r.bucket}`)),
      );
      // Newest first, so no time cut: only the flag.
      const diagnoses = await this.#diagnoses.list({
        hosts: hostList,
        from: f.from,
        to: f.to,
        limit: MAX_ROWS + 1,
      });
      if (diagnoses.length > MAX_ROWS) cap.truncated = true;
      out.diagnoses = diagnoses.slice(0, MAX_ROWS);
      const gaps = await this.#pool.query<GapRow>(
        `SELECT * FROM gaps WHERE host = ANY($1::text[]) AND at >= $2 AND at <= $3 ORDER BY at, id LIMIT ${MAX_ROWS + 1}`,
        [hostList, f.from, f.to],
      );
      out.gaps = cap.take(gaps.rows, (g) => g.at).map(toGapRecord);
    }
    out.truncated = cap.truncated;
    out.cutAt = Number.isFinite(cap.cutAt) ? cap.cutAt : null;
    return out;
  }
}

function toRuleDropsRecord(
  r: RuleDropsRow,
  seconds?: { first_at: number; last_at: number },
): RuleDropsRecord {
  return {
    host: r.host,
    rule: {
      id: r.rule_id,
      family: r.family,
      chain: r.chain,
      position: r.position,
      text: r.text,
      verdict: r.verdict,
      isPolicy: r.is_policy,
    },
    bucket: r.bucket,
    packets: r.packets,
    firstAt: seconds?.first_at ?? null,
    lastAt: seconds?.last_at ?? null,
  };
}
