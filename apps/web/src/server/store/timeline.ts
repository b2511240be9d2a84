import type { TimelineItem } from '@ftpscope/shared';
import type { Db } from './db.ts';
import type { DiagnosesRepo } from './diagnoses.ts';
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

const MAX_ROWS = 2000;

/**
 * Everything about one client in a window, merged and ordered by time: its sessions with their expectations and
 * data connections, drops from or to its addresses, and the ruleset changes, diagnoses and gaps of the hosts
 * involved (the context an operator needs to answer "FTP stopped working at 15:00").
 */
export class TimelineQuery {
  readonly #db: Db;
  readonly #sessions: SessionsRepo;
  readonly #diagnoses: DiagnosesRepo;

  constructor(db: Db, sessions: SessionsRepo, diagnoses: DiagnosesRepo) {
    this.#db = db;
    this.#sessions = sessions;
    this.#diagnoses = diagnoses;
  }

  run(f: TimelineFilter): TimelineItem[] {
    const items: TimelineItem[] = [];
    const where = ['started_at <= @to', '(ended_at IS NULL OR ended_at >= @from)'];
    if (f.client !== undefined) where.push('client_ip = @client');
    if (f.user !== undefined) where.push('user = @user');
    if (f.host !== undefined) where.push('host = @host');
    const rows = this.#db
      .prepare(`SELECT * FROM sessions WHERE ${where.join(' AND ')} ORDER BY started_at LIMIT ${MAX_ROWS}`)
      .all({ ...f }) as SessionRow[];
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
      const drops = this.#db
        .prepare(`SELECT * FROM drops WHERE ${dropWhere.join(' AND ')} ORDER BY at LIMIT ${MAX_ROWS}`)
        .all({ ...f, ips: JSON.stringify([...ips]) }) as DropRow[];
      for (const d of drops) {
        hosts.add(d.host);
        const rule = d.rule_id ?? d.prefix ?? `nflog group ${d.grp}`;
        items.push(
          item(
            new Date(d.at).toISOString(),
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
      const changes = this.#db
        .prepare(`SELECT id, host, at, diff FROM ruleset_changes WHERE host IN (SELECT value FROM json_each(?))
          AND at >= ? AND at <= ? ORDER BY at LIMIT ${MAX_ROWS}`)
        .all(hostsJson, f.from, f.to) as ChangeRow[];
      for (const c of changes.map(toChangeView)) {
        const policies = c.policyChanges.map((p) => `${p.chain} policy ${p.from}→${p.to}`).join(', ');
        items.push(
          item(
            c.at,
            c.host,
            'change',
            false,
            String(c.id),
            `ruleset changed: ${c.added.length} added, ${c.removed.length} removed${policies ? `, ${policies}` : ''}`,
          ),
        );
      }
      for (const d of this.#diagnoses.list({ hosts: [...hosts], from: f.from, to: f.to, limit: MAX_ROWS })) {
        items.push(item(d.firstSeen, d.host, 'diagnosis', true, d.id, `${d.severity}: ${d.title}`));
      }
      const gaps = this.#db
        .prepare(`SELECT * FROM gaps WHERE host IN (SELECT value FROM json_each(?)) AND at >= ? AND at <= ?
          ORDER BY at LIMIT ${MAX_ROWS}`)
        .all(hostsJson, f.from, f.to) as {
        id: number;
        host: string;
        at: number;
        source: string;
        reason: string;
      }[];
      for (const g of gaps) {
        items.push(
          item(
            new Date(g.at).toISOString(),
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
    return items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }
}

interface DropRow {
  id: number;
  host: string;
  at: number;
  grp: number;
  rule_id: string | null;
  prefix: string | null;
  proto: string;
  src: string;
  dst: string;
  sport: number | null;
  dport: number | null;
  flags: string | null;
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
