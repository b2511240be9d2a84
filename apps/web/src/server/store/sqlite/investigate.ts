import type {
  DropMinute,
  InvestigateAttempt,
  InvestigateSession,
  InvestigateSubject,
  NamedRule,
  RulesetChangeRecord,
} from '../records.ts';
import type { Db } from './db.ts';
import { type ChangeRow, toChangeRecord } from './rules.ts';

interface SessionRow {
  host: string;
  id: string;
  client_ip: string;
  user: string | null;
  mode: InvestigateSession['mode'];
  tls: number;
  started_at: number;
  ended_at: number | null;
  verbs: string | null;
}

interface AttemptRow {
  host: string;
  session_id: string;
  id: string;
  mode: InvestigateAttempt['mode'];
  command: string | null;
  port: number | null;
  asked_at: number;
  outcome: InvestigateAttempt['outcome'];
  bytes: number | null;
  rule_id: string | null;
}

interface RuleRow {
  host: string;
  id: string;
  family: string;
  tbl: string;
  chain: string;
  position: number;
  text: string;
  verdict: NamedRule['verdict'];
  is_policy: number;
}

function toRule(r: RuleRow): NamedRule {
  return {
    host: r.host,
    id: r.id,
    family: r.family,
    table: r.tbl,
    chain: r.chain,
    position: r.position,
    text: r.text,
    verdict: r.verdict,
    isPolicy: r.is_policy === 1,
  };
}

/** The subject as SQL conditions on a sessions table aliased `s` (named parameters @client, @user, @host). */
function subjectWhere(s: InvestigateSubject): string[] {
  const where: string[] = [];
  if (s.client !== undefined) where.push('s.client_ip = @client');
  if (s.user !== undefined) where.push('s.user = @user');
  if (s.host !== undefined) where.push('s.host = @host');
  return where;
}

/**
 * The small queries behind Investigate on SQLite, each returning domain records (epoch ms); what they mean is
 * decided in investigate/, not here.
 */
export class InvestigateRepo {
  readonly #db: Db;
  readonly #attempts;
  readonly #rules;
  readonly #chain;
  readonly #dropMinutes;
  readonly #clientDrops;
  readonly #lastChange;

  constructor(db: Db) {
    this.#db = db;
    this.#attempts = db.prepare(
      `SELECT host, session_id, id, mode, command, port, asked_at, outcome, bytes, rule_id FROM data_channels
       WHERE host = ? AND session_id IN (SELECT value FROM json_each(?)) ORDER BY asked_at, id`,
    );
    this.#rules = db.prepare(
      `SELECT host, id, family, tbl, chain, position, text, verdict, is_policy FROM rules
       WHERE host = ? AND id IN (SELECT value FROM json_each(?))`,
    );
    this.#chain = db.prepare(
      `SELECT c.host, c.id, c.family, c.tbl, c.chain, c.position, c.text, c.verdict, c.is_policy
       FROM rules r JOIN rules c ON c.host = r.host AND c.family = r.family AND c.tbl = r.tbl AND c.chain = r.chain
       WHERE r.host = ? AND r.id = ? AND (c.removed_at IS NULL OR c.id = r.id) ORDER BY c.is_policy DESC, c.position`,
    );
    // Per minute from the rollups (kept 90 days); the raw samples (7 days) add the first and last poll with drops.
    this.#dropMinutes = db.prepare(
      `SELECT rr.host, rr.bucket AS at, sum(rr.d_packets) AS packets,
         (SELECT min(s.at) FROM rule_samples s WHERE s.host = rr.host AND s.at >= rr.bucket AND s.at < rr.bucket + 60000
            AND s.d_packets > 0 AND s.rule_id IN (SELECT id FROM rules x WHERE x.host = rr.host
              AND x.verdict IN ('drop', 'reject'))) AS first,
         (SELECT max(s.at) FROM rule_samples s WHERE s.host = rr.host AND s.at >= rr.bucket AND s.at < rr.bucket + 60000
            AND s.d_packets > 0 AND s.rule_id IN (SELECT id FROM rules x WHERE x.host = rr.host
              AND x.verdict IN ('drop', 'reject'))) AS last
       FROM rules r JOIN rule_rollup_1m rr ON rr.host = r.host AND rr.rule_id = r.id
       WHERE r.host IN (SELECT value FROM json_each(@hosts)) AND r.verdict IN ('drop', 'reject')
         AND rr.bucket > @from - 60000 AND rr.bucket <= @to AND rr.d_packets > 0
       GROUP BY rr.host, rr.bucket ORDER BY rr.bucket, rr.host`,
    );
    this.#clientDrops = db.prepare(
      `SELECT host, (at / 60000) * 60000 AS at, count(*) AS packets, min(at) AS first, max(at) AS last FROM drops
       WHERE at >= @from AND at <= @to AND (src IN (SELECT value FROM json_each(@ips))
         OR dst IN (SELECT value FROM json_each(@ips)))
       GROUP BY host, (at / 60000) ORDER BY 2, 1`,
    );
    this.#lastChange = db.prepare(
      `SELECT change_id, host, at, not_before, diff FROM ruleset_changes WHERE host = ? AND at <= ?
       ORDER BY at DESC, id DESC LIMIT 1`,
    );
  }

  /** Sessions of the subject overlapping [from, to]: the newest `limit` of them (what fails now), oldest first. */
  sessions(s: InvestigateSubject, from: number, to: number, limit: number): InvestigateSession[] {
    const where = ['s.started_at <= @to', '(s.ended_at IS NULL OR s.ended_at >= @from)', ...subjectWhere(s)];
    const rows = this.#db
      .prepare(
        `SELECT s.host, s.id, s.client_ip, s.user, s.mode, s.tls, s.started_at, s.ended_at, d.verbs
         FROM sessions s LEFT JOIN session_dialogues d ON d.host = s.host AND d.session_id = s.id
         WHERE ${where.join(' AND ')} ORDER BY s.started_at DESC, s.id DESC LIMIT ${Math.floor(limit)}`,
      )
      .all({ ...s, from, to })
      .reverse() as SessionRow[];
    const attempts = this.#attemptsOf(rows);
    return rows.map((r) => ({
      id: r.id,
      host: r.host,
      client: r.client_ip,
      user: r.user,
      mode: r.mode,
      tls: r.tls === 1,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      attempts: attempts.get(`${r.host}\0${r.id}`) ?? [],
      verbs: r.verbs ? (JSON.parse(r.verbs) as string[]) : [],
    }));
  }

  #attemptsOf(rows: SessionRow[]): Map<string, InvestigateAttempt[]> {
    const byHost = new Map<string, string[]>();
    for (const r of rows) byHost.set(r.host, [...(byHost.get(r.host) ?? []), r.id]);
    const out = new Map<string, InvestigateAttempt[]>();
    for (const [host, ids] of byHost) {
      for (const a of this.#attempts.all(host, JSON.stringify(ids)) as AttemptRow[]) {
        const key = `${a.host}\0${a.session_id}`;
        const rec: InvestigateAttempt = {
          id: a.id,
          mode: a.mode,
          command: a.command,
          port: a.port,
          askedAt: a.asked_at,
          outcome: a.outcome,
          bytes: a.bytes,
          ruleId: a.rule_id,
        };
        const list = out.get(key);
        if (list) list.push(rec);
        else out.set(key, [rec]);
      }
    }
    return out;
  }

  rules(host: string, ids: string[]): NamedRule[] {
    if (ids.length === 0) return [];
    return (this.#rules.all(host, JSON.stringify(ids)) as RuleRow[]).map(toRule);
  }

  chainOf(host: string, ruleId: string): NamedRule[] {
    return (this.#chain.all(host, ruleId) as RuleRow[]).map(toRule);
  }

  dropMinutes(hosts: string[], from: number, to: number): DropMinute[] {
    return this.#dropMinutes.all({ hosts: JSON.stringify(hosts), from, to }) as DropMinute[];
  }

  clientDropMinutes(ips: string[], from: number, to: number): DropMinute[] {
    return this.#clientDrops.all({ ips: JSON.stringify(ips), from, to }) as DropMinute[];
  }

  lastOkBefore(s: InvestigateSubject, host: string, since: number, before: number): number | null {
    // Sessions started up to an hour before `since` may still have had channels after it.
    const where = ['s.host = @host', 's.started_at >= @since - 3600000', 's.started_at < @before'];
    if (s.client !== undefined) where.push('s.client_ip = @client');
    if (s.user !== undefined) where.push('s.user = @user');
    const v = this.#db
      .prepare(
        `SELECT max(c.asked_at) FROM data_channels c JOIN sessions s ON s.host = c.host AND s.id = c.session_id
         WHERE ${where.join(' AND ')} AND c.outcome = 'ok' AND c.asked_at >= @since AND c.asked_at < @before`,
      )
      .pluck()
      .get({ ...s, host, since, before });
    return typeof v === 'number' ? v : null;
  }

  lastChangeBefore(host: string, at: number): RulesetChangeRecord | null {
    const row = this.#lastChange.get(host, at) as ChangeRow | undefined;
    return row ? toChangeRecord(row) : null;
  }
}
