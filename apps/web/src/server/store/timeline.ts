import type { TimelineItem } from '@ftpscope/shared';
import type { Db } from './db.ts';
import type { DiagnosesRepo } from './diagnoses.ts';
import { type DropRow, type GapRow, toDropView, toGapView } from './events.ts';
import { type ChangeRow, toChangeView } from './rules.ts';
import type { SessionRow, SessionsRepo } from './sessions.ts';

/** Who to investigate (client address or FTP user name), optionally on one host, in a window (ms). */
export interface TimelineFilter {
  client?: string;
  user?: string;
  host?: string;
  from: number;
  to: number;
}

/** Rows read per kind of record; one more is read to tell that the window holds more. */
export const MAX_ROWS = 2000;

/** The timeline of a window; `truncated` when some kind of record had more than MAX_ROWS rows in it. */
export interface TimelineResult {
  items: TimelineItem[];
  truncated: boolean;
}

/**
 * Tracks the kinds that hit MAX_ROWS. Time-ordered kinds are cut at the time of their first row left out, and the
 * merged timeline is cut at the earliest such time: what is shown is then complete up to its last item, instead
 * of showing, say, drops for the first five minutes next to sessions of the whole hour.
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
 * Everything about one client in a window, merged and ordered by time: its sessions with their expectations and
 * data connections, drops from or to its addresses, and the ruleset changes, rule-counter drops (per rule per
 * minute: what shows a dropped data channel when no NFLOG rule logs it), diagnoses and gaps of the hosts
 * involved (the context an operator needs to answer "FTP stopped working at 15:00").
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

  run(f: TimelineFilter): TimelineResult {
    const items: TimelineItem[] = [];
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

    for (const s of this.#sessions.views(rows)) {
      const helper = s.helper ? `helper ${s.helper}` : 'no helper';
      const who = s.user ? `, user ${s.user}` : '';
      items.push(
        item(
          s.startedAt,
          s.host,
          'session',
          false,
          s.id,
          `FTP session ${s.client.ip}:${s.client.port} → ${s.server.ip}:${s.server.port} (${s.mode}, ${helper}${who})`,
        ),
      );
      for (const e of s.expectations) {
        const unused = e.expiredAt !== null && e.fulfilledAt === null;
        const fate = e.fulfilledAt ? 'fulfilled' : unused ? 'expired unused' : 'open';
        items.push(
          item(
            e.createdAt,
            s.host,
            'expectation',
            unused,
            s.id,
            `expectation for port ${e.port} (${e.mode}): ${fate}`,
          ),
        );
      }
      for (const d of s.dataConnections) {
        const fate = d.established ? 'established' : 'FAILED: never established';
        items.push(
          item(
            d.startedAt,
            s.host,
            'data',
            !d.established,
            s.id,
            `data connection ${d.clientPort} ↔ ${d.serverPort} (${d.mode}): ${fate}`,
          ),
        );
      }
    }

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
      for (const d of drops.map(toDropView)) {
        hosts.add(d.host);
        const rule = d.ruleId ?? d.prefix ?? `nflog group ${d.group}`;
        items.push(
          item(
            d.at,
            d.host,
            'drop',
            true,
            String(d.id),
            `dropped ${d.proto} ${d.src}:${d.sport ?? '-'} → ${d.dst}:${d.dport ?? '-'}${d.flags ? ` [${d.flags}]` : ''} (${rule})`,
          ),
        );
      }
    }

    if (hosts.size > 0) {
      const hostsJson = JSON.stringify([...hosts]);
      const changes = cap.take(
        this.#db
          .prepare(`SELECT id, host, at, not_before, diff FROM ruleset_changes WHERE host IN (SELECT value FROM json_each(?))
            AND at >= ? AND at <= ? ORDER BY at LIMIT ${MAX_ROWS + 1}`)
          .all(hostsJson, f.from, f.to) as ChangeRow[],
        (c) => c.at,
      );
      for (const c of changes.map(toChangeView)) {
        const policies = c.policyChanges.map((p) => `${p.chain} policy ${p.from}→${p.to}`).join(', ');
        items.push(
          item(
            c.at,
            c.host,
            'change',
            false,
            String(c.id),
            `ruleset changed${c.notBefore ? ' (found by a poll: at or before this time)' : ''}: ${c.added.length} added, ${c.removed.length} removed${policies ? `, ${policies}` : ''}`,
          ),
        );
      }
      const ruleDrops = this.#ruleDrops.all({ hosts: hostsJson, from: f.from, to: f.to }) as RuleDropsRow[];
      // An item of the cut minute may start after other kinds' items: cut at the minute itself.
      for (const r of cap.take(ruleDrops, (r) => r.bucket)) items.push(ruleDropsItem(r));
      // Newest first, so no time cut: only the flag.
      const diagnoses = this.#diagnoses.list({
        hosts: [...hosts],
        from: f.from,
        to: f.to,
        limit: MAX_ROWS + 1,
      });
      if (diagnoses.length > MAX_ROWS) cap.truncated = true;
      for (const d of diagnoses.slice(0, MAX_ROWS)) {
        items.push(item(d.firstSeen, d.host, 'diagnosis', true, d.id, `${d.severity}: ${d.title}`));
      }
      const gaps = cap.take(
        this.#db
          .prepare(`SELECT * FROM gaps WHERE host IN (SELECT value FROM json_each(?)) AND at >= ? AND at <= ?
            ORDER BY at LIMIT ${MAX_ROWS + 1}`)
          .all(hostsJson, f.from, f.to) as GapRow[],
        (g) => g.at,
      );
      for (const g of gaps.map(toGapView)) {
        items.push(
          item(
            g.at,
            g.host,
            'gap',
            true,
            String(g.id),
            `collector could not see everything (${g.source}): ${g.reason}`,
          ),
        );
      }
    }
    // ISO strings of the same format sort chronologically.
    const cutAt = Number.isFinite(cap.cutAt) ? new Date(cap.cutAt).toISOString() : null;
    const kept = cutAt === null ? items : items.filter((i) => i.at < cutAt);
    return { items: kept.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)), truncated: cap.truncated };
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

const hms = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** "INPUT policy DROP: 12 packets dropped 15:00:10–15:00:40 UTC": what a counter saw, without NFLOG. */
function ruleDropsItem(r: RuleDropsRow): TimelineItem {
  const family = r.family === 'ipv4' ? '' : `${r.family} `;
  const rule = r.is_policy
    ? `${family}${r.chain} policy ${r.verdict.toUpperCase()}`
    : `${family}${r.chain} rule ${r.position} (${r.text})`;
  const verb = r.verdict === 'reject' ? 'rejected' : 'dropped';
  // Without raw samples (pruned after 7 days) only the minute is known.
  const when =
    r.first_at === null || r.last_at === null
      ? `${hms(r.bucket).slice(0, 5)}–${hms(r.bucket + 60_000).slice(0, 5)}`
      : r.first_at === r.last_at
        ? `at ${hms(r.first_at)}`
        : `${hms(r.first_at)}–${hms(r.last_at)}`;
  const packets = `${r.packets} packet${r.packets === 1 ? '' : 's'}`;
  return item(
    new Date(r.first_at ?? r.bucket).toISOString(),
    r.host,
    'rule-drops',
    true,
    r.rule_id,
    `${rule}: ${packets} ${verb} ${when} UTC (rule counter: any client)`,
  );
}

function item(
  at: string,
  host: string,
  type: TimelineItem['type'],
  problem: boolean,
  ref: string,
  summary: string,
): TimelineItem {
  return { at, host, type, problem, summary, ref };
}
