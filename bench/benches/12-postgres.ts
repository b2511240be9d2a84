import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildApp } from '../../apps/web/src/server/app.ts';
import { CollectorAuth } from '../../apps/web/src/server/ingest/collector-auth.ts';
import { PgCluster } from '../../apps/web/src/server/testing/pg-cluster.ts';
import { Batches } from '../lib/batches.ts';
import type { Bench, Figure } from '../lib/figure.ts';
import { figure } from '../lib/figure.ts';
import { clientIp, type HistoryShape, POLICY_RULE } from '../lib/history-db.ts';
import { createHistoryPg } from '../lib/history-pg.ts';
import { startHub } from '../lib/hub.ts';
import { percentile } from '../lib/stats.ts';
import { runWorker } from '../lib/worker.ts';
import { BATCH, step } from './04-hub-ingest.ts';

const BASELINE_WORKER = fileURLToPath(new URL('./pg-baseline-worker.ts', import.meta.url));
const HOUR = 3_600_000;

/**
 * 12. PostgreSQL (--store postgres://): hub ingest of bench 4's recorded batches into a real PostgreSQL cluster
 * (fsync on, in a temp dir) against the same rows written with plain multi-row INSERTs from one client; two hubs
 * sharing the database against one; and bench 6's history queries on its 30-day dataset in PostgreSQL.
 */
export const postgres: Bench = {
  id: 12,
  title: 'PostgreSQL: hub ingest vs multi-row INSERTs, two hubs vs one, history queries',
  async run(ctx) {
    const cluster = await PgCluster.start({
      settings: { fsync: 'on', full_page_writes: 'on', shared_buffers: '256MB', max_wal_size: '2GB' },
    });
    try {
      const figures = await ingest(ctx.quick, cluster, ctx.log);
      figures.push(...(await history(ctx.quick, cluster, ctx.log)));
      return figures;
    } finally {
      await cluster.stop();
    }
  },
};

async function ingest(quick: boolean, cluster: PgCluster, log: (m: string) => void): Promise<Figure[]> {
  const seconds = quick ? 2 : 5;
  const runs = quick ? 1 : 3;
  const k = 4;
  const batches = new Batches(BATCH);
  const one: number[] = [];
  const two: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < runs; r++) {
    // One hub on a fresh database.
    await cluster.sql(`CREATE DATABASE one_${r}`);
    const hub = await startHub({ store: cluster.url(`one_${r}`), hubId: 'hub-1' });
    try {
      one.push((await step(hub.port, hub.collectorToken, k, seconds, batches, `one${r}`)).eventsPerS);
    } finally {
      await hub.stop();
    }
    // Two hubs sharing a fresh database, the same K collectors split between them.
    await cluster.sql(`CREATE DATABASE two_${r}`);
    const a = await startHub({ store: cluster.url(`two_${r}`), hubId: 'hub-a' });
    const b = await startHub({
      store: cluster.url(`two_${r}`),
      hubId: 'hub-b',
      tokens: { collector: a.collectorToken, api: a.apiToken },
    });
    try {
      two.push((await step([a.port, b.port], a.collectorToken, k, seconds, batches, `two${r}`)).eventsPerS);
    } finally {
      await a.stop();
      await b.stop();
    }
    // The same rows, plain multi-row INSERTs from one client.
    await cluster.sql(`CREATE DATABASE raw_${r}`);
    raw.push(
      (
        await runWorker<{ eventsPerS: number }>(BASELINE_WORKER, [
          cluster.url(`raw_${r}`),
          String(BATCH),
          String(seconds),
        ])
      ).eventsPerS,
    );
    log(
      `run ${r + 1}: one hub ${Math.round(one.at(-1) ?? 0)}, two hubs ${Math.round(two.at(-1) ?? 0)}, ` +
        `multi-row INSERTs ${Math.round(raw.at(-1) ?? 0)} events/s`,
    );
  }
  const note = `K=${k} WebSocket collectors, ${BATCH}-event batches, 2 in flight each; PostgreSQL ${
    (await cluster.sql<{ v: string }>("SELECT current_setting('server_version') AS v"))[0]?.v
  }, fsync on, synchronous_commit on`;
  return [
    figure({
      bench: 12,
      name: `PostgreSQL ingest throughput, one hub, K=${k}`,
      unit: 'events/s',
      samples: one,
      baseline: { name: 'same rows, multi-row INSERTs, one client', samples: raw },
      target: '≥ 0.5× baseline and ≥ 30,000/s',
      check: (v, r) => r !== null && r >= 0.5 && v.median >= 30_000,
      note,
    }),
    figure({
      bench: 12,
      name: `PostgreSQL ingest throughput, two hubs on one database, K=${k}`,
      unit: 'events/s',
      samples: two,
      baseline: { name: 'one hub (same run)', samples: one },
      target: '≥ 1× one hub',
      check: (_v, r) => r !== null && r >= 1,
      note: 'collector i goes to hub i mod 2; both hubs and PostgreSQL share the same 2 cores',
    }),
  ];
}

async function history(quick: boolean, cluster: PgCluster, log: (m: string) => void): Promise<Figure[]> {
  const shape: HistoryShape = quick
    ? { hosts: 10, days: 3, sessionEveryMin: 10, clients: 50 }
    : { hosts: 100, days: 30, sessionEveryMin: 10, clients: 500 };
  const perRound = quick ? 10 : 20;
  const rounds = quick ? 2 : 3;
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  await cluster.sql('CREATE DATABASE history');
  const url = cluster.url('history');
  const t0 = Date.now();
  const counts = await createHistoryPg(url, shape, end);
  log(`generated ${JSON.stringify(counts)} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const iso = (t: number) => new Date(t).toISOString();
  const host = (i: number) => `h${(i * 37) % shape.hosts}`;
  const queries: {
    name: string;
    url: (i: number, f: number, t: number) => string;
    count: (i: number, f: number, t: number) => [string, unknown[]];
  }[] = [
    {
      name: 'timeline?client',
      url: (i, f, t) =>
        `/api/timeline?client=${clientIp((i * 53) % shape.clients)}&from=${iso(f)}&to=${iso(t)}`,
      count: (i, f, t) => [
        'SELECT count(*) FROM all_sessions WHERE client_ip = $1 AND started_at <= $2 AND (ended_at IS NULL OR ended_at >= $3)',
        [clientIp((i * 53) % shape.clients), t, f],
      ],
    },
    {
      name: 'hosts/:host/sessions',
      url: (i, f, t) => `/api/hosts/${host(i)}/sessions?from=${iso(f)}&to=${iso(t)}`,
      count: (i, f, t) => [
        'SELECT count(*) FROM all_sessions WHERE host = $1 AND started_at >= $2 AND started_at <= $3',
        [host(i), f, t],
      ],
    },
    {
      name: 'rules/:id/series',
      url: (i, f, t) => `/api/hosts/${host(i)}/rules/${POLICY_RULE}/series?from=${iso(f)}&to=${iso(t)}`,
      count: (i, f, t) => [
        'SELECT count(*) FROM rule_rollup_1m WHERE host = $1 AND rule_id = $2 AND bucket >= $3 AND bucket < $4',
        [host(i), POLICY_RULE, f, t],
      ],
    },
  ];
  const windows = [
    ['24 h', 24 * HOUR],
    ['7 d', 7 * 24 * HOUR],
  ] as const;
  const apiToken = randomBytes(12).toString('hex');
  const app = await buildApp({
    store: url,
    hubId: 'bench-hub',
    apiToken,
    collectorAuth: CollectorAuth.single(randomBytes(12).toString('hex')),
    now: () => end,
    retentionIntervalMs: 0,
    diagnosesIntervalMs: 0,
  });
  const ms = new Map<string, number[]>();
  const base = new Map<string, number[]>();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (let r = 0; r < rounds; r++)
      for (const q of queries)
        for (const [label, span] of windows) {
          const times: number[] = [];
          const counts: number[] = [];
          for (let i = 0; i < perRound; i++) {
            const n = r * perRound + i;
            let t = performance.now();
            const res = await app.inject({
              url: q.url(n, end - span, end),
              headers: { authorization: `Bearer ${apiToken}` },
            });
            times.push(performance.now() - t);
            if (res.statusCode !== 200)
              throw new Error(`${q.name}: HTTP ${res.statusCode} ${res.body.slice(0, 200)}`);
            const [sql, params] = q.count(n, end - span, end);
            t = performance.now();
            await client.query(sql, params);
            counts.push(performance.now() - t);
          }
          const key = `${q.name} ${label}`;
          ms.set(key, [...(ms.get(key) ?? []), percentile(times, 95)]);
          base.set(key, [...(base.get(key) ?? []), percentile(counts, 95)]);
        }
  } finally {
    await client.end();
    await app.close();
  }
  const figures: Figure[] = [];
  for (const [key, samples] of ms)
    figures.push(
      figure({
        bench: 12,
        name: `PostgreSQL ${key} p95`,
        unit: 'ms',
        samples,
        baseline: { name: 'SELECT count(*)', samples: base.get(key) ?? [] },
        target: '≤ 100 ms',
        check: (v) => v.median <= 100,
      }),
    );
  const f0 = figures[0];
  if (f0)
    f0.note = `bench 6's dataset in PostgreSQL, ${shape.hosts} hosts × ${shape.days} days: ${Object.entries(
      counts,
    )
      .map(([t, n]) => `${n.toLocaleString('en-US')} ${t}`)
      .join(', ')}`;
  return figures;
}
