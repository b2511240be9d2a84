import type { Diagnosis } from '@ftpscope/shared';
import { type DropRow, type GapRow, toDropRecord, toGapRecord } from '../event-rows.ts';
import {
  TIMELINE_MAX_ROWS as MAX_ROWS,
  type RuleDropsRecord,
  type TimelineFilter,
  type TimelineRecords,
} from '../records.ts';
import type { Db } from './db.ts';
import type { DiagnosesRepo } from './diagnoses.ts';
import { type ChangeRow, toChangeRecord } from './rules.ts';
import type { SessionRow, SessionsRepo } from './sessions.ts';

/**
 * Tracks the kinds that hit MAX_ROWS. Time-ordered kinds are cut at the time of their first row left out; the
 * timeline view cuts the merged items at the earliest such time, so what is shown is complete up to its last
 * item instead of showing, say, drops for the first five minutes next to sessions of the whole hour.
 */
class RowCap {
  truncated = false;
  cutAt = Number.POSITIVE_INFINITY;

  /** The first MAX_ROWS rows of a query that read up to MAX_ROWS + 1, ordered by `at`. */
  take<R>(rows: R[], at: (r: R) => number): R[] {
    const next = rows[MAX_ROWS];
    if (next === undefined) return rows;
    this.truncated = true;
    this.cutAt = Math.min(this.cutAt, at(next));
    return rows.slice(0, MAX_ROWS);
  }
}

/**
 * Everything about one client in a window: its sessions with their expectations and data connections, drops
 * from or to its addresses, and the ruleset changes, rule-counter drops (per rule per minute: what shows a
 * dropped data channel when no NFLOG rule logs it), diagnoses and gaps of the hosts involved.
 */
export class TimelineQuery {
  readonly #db: Db;
  readonly #sessions: SessionsRepo;
  readonly #diagnoses: DiagnosesRepo;
  readonly #ruleDrops;

  constructor(db: Db, sessions: SessionsRepo, diagnoses: DiagnosesRepo) {
    this.#db = db;
    this.#sessions = sessions;
    this.#diagnoses = diagnoses;
    // Per drop rule per minute from the rollups (kept 90 days); the raw samples (7 days) add the first and last
    // second with drops. CROSS JOIN keeps the few drop rules as the outer loop over UNIQUE(host, rule_id, bucket).
    this.#ruleDrops = db.prepare(
      `SELECT rr.host, rr.rule_id, rr.bucket, rr.d_packets AS packets, r.family, r.chain, r.position, r.text,
         r.verdict, r.is_policy,
         (SELECT min(s.at) FROM rule_samples s WHERE s.host = rr.host AND s.rule_id = rr.rule_id
            AND s.at >= max(rr.bucket, @from) AND s.at < rr.bucket + 60000 AND s.at <= @to AND s.d_packets > 0)
           AS first_at,
         (SELECT max(s.at) FROM rule_samples s WHERE s.host = rr.host AND s.rule_id = rr.rule_id
            AND s.at >= max(rr.bucket, @from) AND s.at < rr.bucket + 60000 AND s.at <= @to AND s.d_packets > 0)
           AS last_at
       FROM rules r CROSS JOIN rule_rollup_1m rr
         ON rr.host = r.host AND rr.rule_id = r.id AND rr.bucket > @from - 60000 AND rr.bucket <= @to
       WHERE r.host IN (SELECT value FROM json_each(@hosts)) AND r.verdict IN ('drop', 'reject')
         AND rr.d_packets > 0
       ORDER BY rr.bucket, rr.host, r.family, r.tbl, r.chain, r.is_policy DESC, r.position LIMIT ${MAX_ROWS + 1}`,
    );
  }

  run(f: TimelineFilter): TimelineRecords {
    const cap = new RowCap();
    const where = ['started_at <= @to', '(ended_at IS NULL OR ended_at >= @from)'];
    if (f.client !== undefined) where.push('client_ip = @client');
    if (f.user !== undefined) where.push('user = @user');
    if (f.host !== undefined) where.push('host = @host');
    const rows = cap.take(
      this.#db
        .prepare(
          `SELECT * FROM sessions WHERE ${where.join(' AND ')} ORDER BY started_at LIMIT ${MAX_ROWS + 1}`,
        )
        .all({ ...f }) as SessionRow[],
      (r) => r.started_at,
    );
    const ips = new Set<string>(f.client !== undefined ? [f.client] : rows.map((r) => r.client_ip));
    const hosts = new Set<string>(f.host !== undefined ? [f.host] : rows.map((r) => r.host));
    const out: TimelineRecords = {
      sessions: this.#sessions.records(rows),
      drops: [],
      changes: [],
      ruleDrops: [],
      diagnoses: [],
      gaps: [],
      truncated: false,
      cutAt: null,
    };

    if (ips.size > 0) {
      const dropWhere = [
        'at >= @from',
        'at <= @to',
        '(src IN (SELECT value FROM json_each(@ips)) OR dst IN (SELECT value FROM json_each(@ips)))',
      ];
      if (f.host !== undefined) dropWhere.push('host = @host');
      const drops = cap.take(
        this.#db
          .prepare(`SELECT * FROM drops WHERE ${dropWhere.join(' AND ')} ORDER BY at LIMIT ${MAX_ROWS + 1}`)
          .all({ ...f, ips: JSON.stringify([...ips]) }) as DropRow[],
        (d) => d.at,
      );
      out.drops = drops.map(toDropRecord);
      for (const d of out.drops) hosts.add(d.host);
    }

    if (hosts.size > 0) {
      const hostsJson = JSON.stringify([...hosts]);
      out.changes = cap
        .take(
          this.#db
            .prepare(`SELECT change_id, host, at, not_before, diff FROM ruleset_changes WHERE host IN (SELECT value FROM json_each(?))
              AND at >= ? AND at <= ? ORDER BY at LIMIT ${MAX_ROWS + 1}`)
            .all(hostsJson, f.from, f.to) as ChangeRow[],
          (c) => c.at,
        )
        .map(toChangeRecord);
      const ruleDrops = this.#ruleDrops.all({ hosts: hostsJson, from: f.from, to: f.to }) as RuleDropsRow[];
      // An item of the cut minute may start after other kinds' items: cut at the minute itself.
      out.ruleDrops = cap.take(ruleDrops, (r) => r.bucket).map(toRuleDropsRecord);
      // Newest first, so no time cut: only the flag.
      const diagnoses: Diagnosis[] = this.#diagnoses.list({
        hosts: [...hosts],
        from: f.from,
        to: f.to,
        limit: MAX_ROWS + 1,
      });
      if (diagnoses.length > MAX_ROWS) cap.truncated = true;
      out.diagnoses = diagnoses.slice(0, MAX_ROWS);
      out.gaps = cap
        .take(
          this.#db
            .prepare(`SELECT * FROM gaps WHERE host IN (SELECT value FROM json_each(?)) AND at >= ? AND at <= ?
              ORDER BY at LIMIT ${MAX_ROWS + 1}`)
            .all(hostsJson, f.from, f.to) as GapRow[],
          (g) => g.at,
        )
        .map(toGapRecord);
    }
    out.truncated = cap.truncated;
    out.cutAt = Number.isFinite(cap.cutAt) ? cap.cutAt : null;
    return out;
  }
}

interface RuleDropsRow {
  host: string;
  rule_id: string;
  bucket: number;
  packets: number;
  family: string;
  chain: string;
  position: number;
  text: string;
  verdict: string;
  is_policy: number;
  first_at: number | null;
  last_at: number | null;
}

function toRuleDropsRecord(r: RuleDropsRow): RuleDropsRecord {
  return {
    host: r.host,
    rule: {
      id: r.rule_id,
      family: r.family,
      chain: r.chain,
      position: r.position,
      text: r.text,
      verdict: r.verdict as RuleDropsRecord['rule']['verdict'],
      isPolicy: r.is_policy === 1,
    },
    bucket: r.bucket,
    packets: r.packets,
    firstAt: r.first_at,
    lastAt: r.last_at,
  };
}
