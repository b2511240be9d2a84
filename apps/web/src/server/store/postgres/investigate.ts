import type { DialogueLine } from '@ftpscope/shared';
import type pg from 'pg';
import type {
  DialogueRecord,
  DropMinute,
  InvestigateAttempt,
  InvestigateSession,
  InvestigateSubject,
  NamedRule,
  RulesetChangeRecord,
} from '../records.ts';
import { type PgChangeRow, toChangeRecord } from './rules.ts';

interface SessionRow {
  host: string;
  id: string;
  client_ip: string;
  username: string | null;
  mode: InvestigateSession['mode'];
  tls: boolean;
  started_at: number;
  ended_at: number | null;
  verbs: string[] | null;
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
  is_policy: boolean;
}

const toRule = (r: RuleRow): NamedRule => ({
  host: r.host,
  id: r.id,
  family: r.family,
  table: r.tbl,
  chain: r.chain,
  position: r.position,
  text: r.text,
  verdict: r.verdict,
  isPolicy: r.is_policy,
});

const RULE_COLUMNS = 'host, id, family, tbl, chain, position, text, verdict, is_policy';

// Per minute from the rollups; the raw samples (kept shorter) add the first and last poll with drops, in one
// grouped pass over the minutes read.
const DROP_MINUTES = `WITH m AS (
    SELECT rr.host, rr.bucket, sum(rr.d_packets)::int8 AS packets FROM rules r JOIN rule_rollup_1m rr
      ON rr.host = r.host AND rr.rule_id = r.id AND rr.bucket > $2::int8 - 60000 AND rr.bucket <= $3
    WHERE r.host = ANY($1::text[]) AND r.verdict IN ('drop', 'reject') AND rr.d_packets > 0
    GROUP BY rr.host, rr.bucket),
  s AS (
    SELECT x.host, (x.at / 60000) * 60000 AS bucket, min(x.at) AS first, max(x.at) AS last FROM rule_samples x
      JOIN rules r ON r.host = x.host AND r.id = x.rule_id AND r.verdict IN ('drop', 'reject')
    WHERE x.host = ANY($1::text[]) AND x.at > $2::int8 - 60000 AND x.at < $3::int8 + 60000 AND x.d_packets > 0
    GROUP BY 1, 2)
  SELECT m.host, m.bucket AS at, m.packets, s.first, s.last FROM m LEFT JOIN s USING (host, bucket)
  ORDER BY m.bucket, m.host COLLATE "C"`;

const CLIENT_DROPS = `SELECT host, (at / 60000) * 60000 AS at, count(*)::int8 AS packets, min(at) AS first, max(at) AS last
  FROM drops WHERE at >= $2 AND at <= $3 AND (src = ANY($1::text[]) OR dst = ANY($1::text[]))
  GROUP BY 1, 2 ORDER BY 2, host COLLATE "C"`;

/**
 * The small queries behind Investigate on PostgreSQL (same answers as SQLite's), each returning domain records;
 * what they mean is decided in investigate/, not here.
 */
export class PgInvestigate {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async sessions(
    s: InvestigateSubject,
    from: number,
    to: number,
    limit: number,
  ): Promise<InvestigateSession[]> {
    const values: unknown[] = [from, to];
    const param = (v: unknown) => `$${values.push(v)}`;
    const where = ['s.started_at <= $2', '(s.ended_at IS NULL OR s.ended_at >= $1)'];
    if (s.client !== undefined) where.push(`s.client_ip = ${param(s.client)}`);
    if (s.user !== undefined) where.push(`s.username = ${param(s.user)}`);
    if (s.host !== undefined) where.push(`s.host = ${param(s.host)}`);
    const { rows } = await this.#pool.query<SessionRow>(
      `SELECT s.host, s.id, s.client_ip, s.username, s.mode, s.tls, s.started_at, s.ended_at, d.verbs
       FROM all_sessions s LEFT JOIN session_dialogues d ON d.host = s.host AND d.session_id = s.id
       WHERE ${where.join(' AND ')} ORDER BY s.started_at DESC, s.id COLLATE "C" DESC LIMIT ${param(Math.floor(limit))}`,
      values,
    );
    rows.reverse(); // the newest `limit` (what fails now), oldest first
    const attempts = new Map<string, InvestigateAttempt[]>();
    if (rows.length > 0) {
      const a = await this.#pool.query<AttemptRow>({
        name: 'ftpscope_investigate_attempts',
        text: `SELECT x.host, x.session_id, x.id, x.mode, x.command, x.port, x.asked_at, x.outcome, x.bytes, x.rule_id
          FROM unnest($1::text[], $2::text[]) AS k(host, id)
          JOIN data_channels x ON x.host = k.host AND x.session_id = k.id ORDER BY x.asked_at, x.id COLLATE "C"`,
        values: [rows.map((r) => r.host), rows.map((r) => r.id)],
      });
      for (const x of a.rows) {
        const key = `${x.host}\0${x.session_id}`;
        const rec: InvestigateAttempt = {
          id: x.id,
          mode: x.mode,
          command: x.command,
          port: x.port,
          askedAt: x.asked_at,
          outcome: x.outcome,
          bytes: x.bytes,
          ruleId: x.rule_id,
        };
        const list = attempts.get(key);
        if (list) list.push(rec);
        else attempts.set(key, [rec]);
      }
    }
    return rows.map((r) => ({
      id: r.id,
      host: r.host,
      client: r.client_ip,
      user: r.username,
      mode: r.mode,
      tls: r.tls,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      attempts: attempts.get(`${r.host}\0${r.id}`) ?? [],
      verbs: r.verbs ?? [],
    }));
  }

  async rules(host: string, ids: string[]): Promise<NamedRule[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.#pool.query<RuleRow>({
      name: 'ftpscope_investigate_rules',
      text: `SELECT ${RULE_COLUMNS} FROM rules WHERE host = $1 AND id = ANY($2::text[])`,
      values: [host, ids],
    });
    return rows.map(toRule);
  }

  async chainOf(host: string, ruleId: string): Promise<NamedRule[]> {
    const { rows } = await this.#pool.query<RuleRow>({
      name: 'ftpscope_investigate_chain',
      text: `SELECT c.host, c.id, c.family, c.tbl, c.chain, c.position, c.text, c.verdict, c.is_policy
        FROM rules r JOIN rules c ON c.host = r.host AND c.family = r.family AND c.tbl = r.tbl AND c.chain = r.chain
        WHERE r.host = $1 AND r.id = $2 AND (c.removed_at IS NULL OR c.id = r.id)
        ORDER BY c.is_policy DESC, c.position`,
      values: [host, ruleId],
    });
    return rows.map(toRule);
  }

  async dropMinutes(hosts: string[], from: number, to: number): Promise<DropMinute[]> {
    const { rows } = await this.#pool.query<DropMinute>({
      name: 'ftpscope_investigate_drop_minutes',
      text: DROP_MINUTES,
      values: [hosts, from, to],
    });
    return rows;
  }

  async clientDropMinutes(ips: string[], from: number, to: number): Promise<DropMinute[]> {
    const { rows } = await this.#pool.query<DropMinute>({
      name: 'ftpscope_investigate_client_drops',
      text: CLIENT_DROPS,
      values: [ips, from, to],
    });
    return rows;
  }

  async lastOkBefore(
    s: InvestigateSubject,
    host: string,
    since: number,
    before: number,
  ): Promise<number | null> {
    const values: unknown[] = [host, since, before];
    const where = ['s.host = $1', 's.started_at >= $2::int8 - 3600000', 's.started_at < $3'];
    if (s.client !== undefined) where.push(`s.client_ip = $${values.push(s.client)}`);
    if (s.user !== undefined) where.push(`s.username = $${values.push(s.user)}`);
    const { rows } = await this.#pool.query<{ at: number | null }>(
      `SELECT max(c.asked_at) AS at FROM data_channels c JOIN all_sessions s ON s.host = c.host AND s.id = c.session_id
       WHERE ${where.join(' AND ')} AND c.outcome = 'ok' AND c.asked_at >= $2 AND c.asked_at < $3`,
      values,
    );
    return rows[0]?.at ?? null;
  }

  async lastChangeBefore(host: string, at: number): Promise<RulesetChangeRecord | null> {
    const { rows } = await this.#pool.query<PgChangeRow>({
      name: 'ftpscope_investigate_last_change',
      text: `SELECT change_id, host, at, not_before, diff FROM ruleset_changes WHERE host = $1 AND at <= $2
        ORDER BY at DESC, id DESC LIMIT 1`,
      values: [host, at],
    });
    return rows[0] ? toChangeRecord(rows[0]) : null;
  }

  /** The stored dialogue of one session, or null. */
  async dialogue(host: string, sessionId: string): Promise<DialogueRecord | null> {
    const { rows } = await this.#pool.query<{ lines: DialogueLine[]; omitted: number }>({
      name: 'ftpscope_session_dialogue',
      text: 'SELECT lines, omitted FROM session_dialogues WHERE host = $1 AND session_id = $2',
      values: [host, sessionId],
    });
    return rows[0] ? { lines: rows[0].lines, omitted: rows[0].omitted } : null;
  }
}
