import Database from 'better-sqlite3';
import { openStore } from '../../apps/web/src/server/store/index.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Shape of the synthetic history: hosts × days, one FTP session every `sessionEveryMin` minutes per host. */
export interface HistoryShape {
  hosts: number;
  days: number;
  sessionEveryMin: number;
  /** Distinct client addresses, spread over every host. */
  clients: number;
}

/** Client address number c (0-based), from 198.18.0.0/15. */
export const clientIp = (c: number) => `198.18.${100 + Math.floor(c / 250)}.${c % 250}`;
/** The INPUT policy rule every host has: its 1-minute rollups cover the whole history. */
export const POLICY_RULE = 'r-input-policy';

/**
 * Creates a hub database (the hub's own migrations) and fills it in SQL with `shape`'s history ending at
 * `end`: sessions with one fulfilled expectation and one data connection each, 1-minute counter rollups of the
 * INPUT policy for every minute, raw samples every 5 s for the last 6 h, and a drop every 5 minutes per host.
 * Returns the row counts.
 */
export async function createHistoryDb(
  file: string,
  shape: HistoryShape,
  end: number,
): Promise<Record<string, number>> {
  await (await openStore(`sqlite:${file}`, { now: () => end })).close();
  const db = new Database(file);
  db.pragma('synchronous = OFF');
  const start = end - shape.days * DAY;
  const p = { hosts: shape.hosts, start, end, every: shape.sessionEveryMin * MINUTE, clients: shape.clients };
  const hostsCte = 'WITH RECURSIVE h(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM h WHERE j < @hosts - 1)';
  const steps = (name: string, count: string) =>
    `, ${name}(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM ${name} WHERE i < ${count} - 1)`;
  db.transaction(() => {
    db.prepare(
      `${hostsCte} INSERT INTO hosts (name, kernel, connected, last_seen) SELECT 'h' || j, '6.1', 1, @end FROM h`,
    ).run(p);
    db.prepare(
      `${hostsCte}${steps('n', '(@end - @start) / @every')}
       INSERT INTO sessions (host, id, family, client_ip, client_port, server_ip, server_port, state, helper, user,
         mode, tls, started_at, ended_at)
       SELECT 'h' || j, 's' || j || '-' || i, 'ipv4',
         '198.18.' || (100 + ((j * 7 + i) % @clients) / 250) || '.' || ((j * 7 + i) % @clients % 250),
         30000 + i % 30000, '198.18.1.' || (10 + j % 200), 21, 'CLOSED', 'ftp', 'u' || ((j * 7 + i) % @clients),
         'passive', 0, @start + i * @every + j * 1000, @start + i * @every + j * 1000 + 30000 FROM h, n`,
    ).run(p);
    db.exec(`INSERT INTO expectations (host, id, session_id, family, src, dst, port, mode, created_at, timeout,
      fulfilled_at, expired_at) SELECT host, 'e' || id, id, 'ipv4', client_ip, server_ip, 40000 + client_port % 100,
      'passive', started_at + 100, 300, started_at + 150, NULL FROM sessions`);
    db.exec(`INSERT INTO data_connections (host, id, session_id, expectation_id, attribution, mode, client_port,
      server_port, state, established, related, started_at, ended_at, bytes) SELECT host, 'd' || id, id, 'e' || id, 'expectation', 'passive',
      client_port + 1, 40000 + client_port % 100, 'CLOSED', 1, 1, started_at + 150, started_at + 1150, 1048576
      FROM sessions`);
    db.prepare(
      `${hostsCte} INSERT INTO rules (host, id, backend, family, tbl, chain, position, text, verdict, is_policy, seen_at)
       SELECT 'h' || j, '${POLICY_RULE}', 'iptables-nft', 'ipv4', 'filter', 'INPUT', 0, ':INPUT DROP', 'drop', 1, @start FROM h`,
    ).run(p);
    db.prepare(
      `${hostsCte}${steps('m', '(@end - @start) / 60000')}
       INSERT INTO rule_rollup_1m (host, rule_id, bucket, d_packets, d_bytes) SELECT 'h' || j, '${POLICY_RULE}', @start + i * 60000, (i * 7 + j) % 13, ((i * 7 + j) % 13) * 60
       FROM h, m`,
    ).run(p);
    db.prepare(
      `${hostsCte}${steps('s', '6 * 720')}
       INSERT INTO rule_samples (host, rule_id, at, packets, bytes, d_packets, d_bytes) SELECT 'h' || j, '${POLICY_RULE}', @end - 6 * 3600000 + i * 5000, i, i * 60, 1, 60 FROM h, s`,
    ).run(p);
    db.prepare(
      `${hostsCte}${steps('d', '(@end - @start) / 300000')}
       INSERT INTO drops (host, at, grp, rule_id, prefix, proto, src, dst, sport, dport, flags)
       SELECT 'h' || j, @start + i * 300000 + j * 1000, 5, '${POLICY_RULE}', 'policy-drop', 'tcp',
         '198.18.' || (100 + ((j * 7 + i) % @clients) / 250) || '.' || ((j * 7 + i) % @clients % 250),
         '198.18.1.' || (10 + j % 200), 40000 + i % 1000, 40000 + i % 100, 'S' FROM h, d`,
    ).run(p);
  })();
  const counts: Record<string, number> = {};
  for (const t of ['sessions', 'expectations', 'data_connections', 'rule_rollup_1m', 'rule_samples', 'drops'])
    counts[t] = db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return counts;
}
