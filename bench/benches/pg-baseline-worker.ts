/**
 * Baseline of bench 12's ingest, in its own process: the rows of the same batches written to the hub's
 * PostgreSQL schema (migrated, same tables and indexes, in a fresh database) the plain way: one client, one
 * transaction per batch, one multi-row INSERT … VALUES per table (the last state of each id, ON CONFLICT DO
 * UPDATE; rule samples ON CONFLICT DO NOTHING), no stream bookkeeping, no merge rules, no validation, no network between collector and hub.
 * argv: POSTGRES_URL BATCH_EVENTS SECONDS. Prints { eventsPerS }.
 */
import type { CollectorEvent } from '@ftpscope/shared';
import pg from 'pg';
import { openStore } from '../../apps/web/src/server/store/index.ts';
import { Batches } from '../lib/batches.ts';
import { reply } from '../lib/worker.ts';

const [url = '', batchArg = '500', secondsArg = '3'] = process.argv.slice(2);
await (await openStore(url, { now: Date.now })).close(); // migrations and today's partitions
const client = new pg.Client({ connectionString: url });
await client.connect();
const batches = new Batches(Number(batchArg));
const HOST = 'raw';

/** INSERT INTO table (cols) VALUES (...), (...) [suffix], with numbered parameters. */
async function insert(table: string, cols: string[], rows: unknown[][], suffix = ''): Promise<void> {
  if (rows.length === 0) return;
  const values: unknown[] = [];
  const tuples = rows.map((r) => `(${r.map((v) => `$${values.push(v)}`).join(', ')})`);
  await client.query(
    `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${tuples.join(', ')} ${suffix}`,
    values,
  );
}

const upsert = (cols: string[]) =>
  `ON CONFLICT (host, id) DO UPDATE SET ${cols
    .filter((c) => c !== 'host' && c !== 'id')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;

const SESSION = [
  'host',
  'id',
  'family',
  'client_ip',
  'client_port',
  'server_ip',
  'server_port',
  'state',
  'helper',
  'username',
  'mode',
  'tls',
  'started_at',
  'ended_at',
];
const EXPECTATION = [
  'host',
  'id',
  'session_id',
  'family',
  'src',
  'dst',
  'port',
  'mode',
  'created_at',
  'timeout',
  'seen_at',
  'fulfilled_at',
  'expired_at',
];
const DATA = [
  'host',
  'id',
  'session_id',
  'expectation_id',
  'attribution',
  'mode',
  'client_port',
  'server_port',
  'state',
  'established',
  'related',
  'started_at',
  'ended_at',
  'bytes',
];

async function write(events: CollectorEvent[], sentAt: number): Promise<void> {
  const sessions = new Map<string, unknown[]>();
  const exps = new Map<string, unknown[]>();
  const datas = new Map<string, unknown[]>();
  const samples: unknown[][] = [];
  const health: unknown[][] = [];
  for (const e of events) {
    if (e.kind === 'session') {
      const s = e.session;
      sessions.set(s.id, [
        HOST,
        s.id,
        s.family,
        s.client.ip,
        s.client.port,
        s.server.ip,
        s.server.port,
        s.state,
        s.helper,
        s.user,
        s.mode,
        s.tls,
        s.startedAt,
        s.endedAt,
      ]);
    } else if (e.kind === 'expectation') {
      const x = e.expectation;
      exps.set(x.id, [
        HOST,
        x.id,
        x.sessionId,
        x.family,
        x.src,
        x.dst,
        x.port,
        x.mode,
        x.createdAt,
        x.timeout,
        Math.max(sentAt, x.createdAt),
        x.fulfilledAt,
        x.expiredAt,
      ]);
    } else if (e.kind === 'data') {
      const d = e.data;
      datas.set(d.id, [
        HOST,
        d.id,
        d.sessionId,
        d.expectationId,
        d.attribution,
        d.mode,
        d.clientPort,
        d.serverPort,
        d.state,
        d.established,
        d.related,
        d.startedAt,
        d.endedAt,
        d.bytes,
      ]);
    } else if (e.kind === 'counters') {
      for (const c of e.counters)
        samples.push([HOST, c.ruleId, e.at, c.packets, c.bytes, c.dPackets, c.dBytes]);
    } else if (e.kind === 'health') {
      health.push([HOST, e.health.at, JSON.stringify(e.health)]);
    }
  }
  await client.query('BEGIN');
  await insert('sessions', SESSION, [...sessions.values()], upsert(SESSION));
  await insert('expectations', EXPECTATION, [...exps.values()], upsert(EXPECTATION));
  await insert('data_connections', DATA, [...datas.values()], upsert(DATA));
  await insert(
    'rule_samples',
    ['host', 'rule_id', 'at', 'packets', 'bytes', 'd_packets', 'd_bytes'],
    samples,
    'ON CONFLICT DO NOTHING', // a sample seen again, as the hub does (migration 0006)
  );
  await insert('health_samples', ['host', 'at', 'health'], health);
  await client.query('COMMIT');
}

await write(batches.setup, Date.now());
let events = 0;
const t0 = performance.now();
const deadline = t0 + Number(secondsArg) * 1000;
for (let i = 0; performance.now() < deadline; i++) {
  const evs = batches.events(i);
  await write(evs, Date.now());
  events += evs.length;
}
const seconds = (performance.now() - t0) / 1000;
await client.end();
reply({ eventsPerS: events / seconds });
