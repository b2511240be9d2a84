import pg from 'pg';
import { openStore } from '../../apps/web/src/server/store/index.ts';
import type { PgStore } from '../../apps/web/src/server/store/postgres/pg-store.ts';
import { type HistoryShape, POLICY_RULE } from './history-db.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * The same synthetic history as createHistoryDb (history-db.ts), in a PostgreSQL database migrated by the hub:
 * finished sessions (in sessions_done's day partitions) with one fulfilled expectation and one data connection
 * each, minute rollups of the INPUT policy for every minute, raw samples every 5 s for the last 6 h, a drop
 * every 5 minutes per host. Returns the row counts.
 */
export async function createHistoryPg(
  url: string,
  shape: HistoryShape,
  end: number,
): Promise<Record<string, number>> {
  const store = (await openStore(url, {
    now: () => end,
    retention: { rawDays: shape.days + 1, rollupDays: shape.days + 1, historyDays: shape.days + 1 },
  })) as PgStore;
  const firstDay = Math.floor((end - shape.days * DAY) / DAY);
  const days = Array.from({ length: shape.days + 1 }, (_, i) => firstDay + i);
  for (const t of ['sessions_done', 'rule_rollup_1m', 'rule_samples', 'drops'] as const)
    await store.partitions.ensureDays(t, days);
  await store.close();

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const start = end - shape.days * DAY;
    const p = [shape.hosts, start, end, shape.sessionEveryMin * MINUTE, shape.clients];
    const ip = (n: string) => `'198.18.' || (100 + (${n}) / 250) || '.' || ((${n}) % 250)`;
    const clientOf = (param: string) => `((j * 7 + i) % ${param}::int)`;
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO hosts (name, kernel, connected, last_seen, hub_id)
       SELECT 'h' || j, '6.1', true, $2::int8, 'bench-hub' FROM generate_series(0, $1::int - 1) j`,
      [shape.hosts, end],
    );
    await client.query(
      `INSERT INTO sessions_done (host, id, family, client_ip, client_port, server_ip, server_port, state, helper,
         username, mode, tls, started_at, ended_at)
       SELECT 'h' || j, 's' || j || '-' || i, 'ipv4', ${ip(clientOf('$5'))}, 30000 + i % 30000,
         '198.18.1.' || (10 + j % 200), 21, 'CLOSED', 'ftp', 'u' || ${clientOf('$5')}, 'passive', false,
         $2::int8 + i * $4::int8 + j * 1000, $2::int8 + i * $4::int8 + j * 1000 + 30000
       FROM generate_series(0, $1::int - 1) j, generate_series(0, (($3::int8 - $2::int8) / $4::int8)::int - 1) i`,
      p,
    );
    await client.query(`INSERT INTO expectations (host, id, session_id, family, src, dst, port, mode, created_at,
        timeout, seen_at, fulfilled_at, expired_at)
      SELECT host, 'e' || id, id, 'ipv4', client_ip, server_ip, 40000 + client_port % 100, 'passive',
        started_at + 100, 300, started_at + 100, started_at + 150, NULL FROM sessions_done`);
    await client.query(`INSERT INTO data_connections (host, id, session_id, expectation_id, attribution, mode,
        client_port, server_port, state, established, related, started_at, ended_at, bytes)
      SELECT host, 'd' || id, id, 'e' || id, 'expectation', 'passive', client_port + 1, 40000 + client_port % 100,
        'CLOSED', true, true, started_at + 150, started_at + 1150, 1048576 FROM sessions_done`);
    await client.query(
      `INSERT INTO rules (host, id, backend, family, tbl, chain, position, text, verdict, is_policy, seen_at)
       SELECT 'h' || j, '${POLICY_RULE}', 'iptables-nft', 'ipv4', 'filter', 'INPUT', 0, ':INPUT DROP', 'drop', true,
         $2::int8 FROM generate_series(0, $1::int - 1) j`,
      p.slice(0, 2),
    );
    await client.query(
      `INSERT INTO rule_rollup_1m (host, rule_id, bucket, d_packets, d_bytes)
       SELECT 'h' || j, '${POLICY_RULE}', $2::int8 + i::int8 * 60000, (i * 7 + j) % 13, ((i * 7 + j) % 13) * 60
       FROM generate_series(0, $1::int - 1) j, generate_series(0, (($3::int8 - $2::int8) / 60000)::int - 1) i`,
      p.slice(0, 3),
    );
    await client.query(
      `INSERT INTO rule_samples (host, rule_id, at, packets, bytes, d_packets, d_bytes)
       SELECT 'h' || j, '${POLICY_RULE}', $2::int8 - 6 * 3600000 + i::int8 * 5000, i, i * 60, 1, 60
       FROM generate_series(0, $1::int - 1) j, generate_series(0, 6 * 720 - 1) i`,
      [shape.hosts, end],
    );
    await client.query(
      `INSERT INTO drops (host, at, grp, rule_id, prefix, proto, src, dst, sport, dport, flags)
       SELECT 'h' || j, $2::int8 + i::int8 * 300000 + j * 1000, 5, '${POLICY_RULE}', 'policy-drop', 'tcp', ${ip(clientOf('$4'))},
         '198.18.1.' || (10 + j % 200), 40000 + i % 1000, 40000 + i % 100, 'S'
       FROM generate_series(0, $1::int - 1) j, generate_series(0, (($3::int8 - $2::int8) / 300000)::int - 1) i`,
      [shape.hosts, start, end, shape.clients],
    );
    await client.query('COMMIT');
    await client.query('ANALYZE');
    const counts: Record<string, number> = {};
    for (const [t, table] of [
      ['sessions', 'all_sessions'],
      ['expectations', 'expectations'],
      ['data_connections', 'data_connections'],
      ['rule_rollup_1m', 'rule_rollup_1m'],
      ['rule_samples', 'rule_samples'],
      ['drops', 'drops'],
    ] as const) {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      counts[t] = Number(rows[0]?.n ?? 0);
    }
    return counts;
  } finally {
    await client.end();
  }
}
