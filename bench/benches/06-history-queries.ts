import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildApp } from '../../apps/web/src/server/app.ts';
import { CollectorAuth } from '../../apps/web/src/server/ingest/collector-auth.ts';
import type { Bench, Figure } from '../lib/figure.ts';
import { figure } from '../lib/figure.ts';
import { clientIp, createHistoryDb, type HistoryShape, POLICY_RULE } from '../lib/history-db.ts';
import { percentile } from '../lib/stats.ts';

const HOUR = 3_600_000;
const WINDOWS = [
  ['24 h', 24 * HOUR],
  ['7 d', 7 * 24 * HOUR],
] as const;

interface Query {
  name: string;
  /** REST path for query number i over [from, to]. */
  url(i: number, from: number, to: number): string;
  /** The same rows counted in SQL: [sql, params]. */
  count(i: number, from: number, to: number): [string, unknown[]];
}

function queries(shape: HistoryShape): Query[] {
  const iso = (t: number) => new Date(t).toISOString();
  const host = (i: number) => `h${(i * 37) % shape.hosts}`;
  return [
    {
      name: 'timeline?client',
      url: (i, f, t) =>
        `/api/timeline?client=${clientIp((i * 53) % shape.clients)}&from=${iso(f)}&to=${iso(t)}`,
      count: (i, f, t) => [
        'SELECT count(*) FROM sessions WHERE client_ip = ? AND started_at <= ? AND (ended_at IS NULL OR ended_at >= ?)',
        [clientIp((i * 53) % shape.clients), t, f],
      ],
    },
    {
      name: 'hosts/:host/sessions',
      url: (i, f, t) => `/api/hosts/${host(i)}/sessions?from=${iso(f)}&to=${iso(t)}`,
      count: (i, f, t) => [
        'SELECT count(*) FROM sessions WHERE host = ? AND started_at >= ? AND started_at <= ?',
        [host(i), f, t],
      ],
    },
    {
      name: 'rules/:id/series',
      url: (i, f, t) => `/api/hosts/${host(i)}/rules/${POLICY_RULE}/series?from=${iso(f)}&to=${iso(t)}`,
      count: (i, f, t) => [
        'SELECT count(*) FROM rule_rollup_1m WHERE host = ? AND rule_id = ? AND bucket >= ? AND bucket < ?',
        [host(i), POLICY_RULE, f, t],
      ],
    },
  ];
}

/**
 * 6. History queries through the real routes (buildApp + inject) on a synthetic 30-day database of 100 hosts,
 * p95 over varied hosts and clients, against `SELECT count(*)` of the same rows in the same run.
 */
export const historyQueries: Bench = {
  id: 6,
  title: 'history queries on a 30-day, 100-host database vs SELECT count(*)',
  async run(ctx) {
    const shape: HistoryShape = ctx.quick
      ? { hosts: 10, days: 3, sessionEveryMin: 10, clients: 50 }
      : { hosts: 100, days: 30, sessionEveryMin: 10, clients: 500 };
    const perRound = ctx.quick ? 10 : 20;
    const rounds = ctx.quick ? 2 : 3;
    const dir = mkdtempSync(join(tmpdir(), 'ftpscope-bench-history-'));
    try {
      const file = join(dir, 'history.db');
      const end = Math.floor(Date.now() / 60_000) * 60_000;
      const t0 = Date.now();
      const counts = await createHistoryDb(file, shape, end);
      ctx.log(`generated ${JSON.stringify(counts)} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      const qs = queries(shape);
      const ms = new Map<string, number[]>();
      const apiToken = randomBytes(12).toString('hex');
      const app = await buildApp({
        db: file,
        apiToken,
        collectorAuth: CollectorAuth.single(randomBytes(12).toString('hex')),
        now: () => end,
        retentionIntervalMs: 0,
      });
      try {
        for (let r = 0; r < rounds; r++)
          for (const q of qs)
            for (const [label, span] of WINDOWS) {
              const times: number[] = [];
              for (let i = 0; i < perRound; i++) {
                const t = performance.now();
                const res = await app.inject({
                  url: q.url(r * perRound + i, end - span, end),
                  headers: { authorization: `Bearer ${apiToken}` },
                });
                times.push(performance.now() - t);
                if (res.statusCode !== 200)
                  throw new Error(`${q.name}: HTTP ${res.statusCode} ${res.body.slice(0, 200)}`);
              }
              const key = `${q.name} ${label}`;
              ms.set(key, [...(ms.get(key) ?? []), percentile(times, 95)]);
            }
      } finally {
        await app.close();
      }
      // The hub holds the file with locking_mode=EXCLUSIVE, so the baseline reads after it closed.
      const db = new Database(file, { readonly: true });
      const base = new Map<string, number[]>();
      try {
        for (let r = 0; r < rounds; r++)
          for (const q of qs)
            for (const [label, span] of WINDOWS) {
              const times: number[] = [];
              for (let i = 0; i < perRound; i++) {
                const [sql, params] = q.count(r * perRound + i, end - span, end);
                const t = performance.now();
                db.prepare(sql)
                  .pluck()
                  .get(...params);
                times.push(performance.now() - t);
              }
              const key = `${q.name} ${label}`;
              base.set(key, [...(base.get(key) ?? []), percentile(times, 95)]);
            }
      } finally {
        db.close();
      }
      const figures: Figure[] = [];
      for (const [key, samples] of ms)
        figures.push(
          figure({
            bench: 6,
            name: `${key} p95`,
            unit: 'ms',
            samples,
            baseline: { name: 'SELECT count(*)', samples: base.get(key) ?? [] },
            target: '≤ 100 ms',
            check: (v) => v.median <= 100,
          }),
        );
      const f0 = figures[0];
      if (f0)
        f0.note = `${shape.hosts} hosts × ${shape.days} days: ${Object.entries(counts)
          .map(([t, n]) => `${n.toLocaleString('en-US')} ${t}`)
          .join(', ')}; p95 of ${perRound} queries per run (varied host/client), median of ${rounds} runs`;
      return figures;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
