import { fileURLToPath } from 'node:url';
import { Batches } from '../lib/batches.ts';
import type { Bench } from '../lib/figure.ts';
import { figure } from '../lib/figure.ts';
import { startHub } from '../lib/hub.ts';
import { ReplayClient } from '../lib/replay-client.ts';
import { percentile } from '../lib/stats.ts';
import { runWorker } from '../lib/worker.ts';

const STORE_WORKER = fileURLToPath(new URL('./store-worker.ts', import.meta.url));
/** Events per batch: what a collector sends every 200 ms at 2,500 events/s. */
const BATCH = 500;

interface Step {
  clients: number;
  eventsPerS: number;
  ackMs: number[];
}

/** K simulated collectors replay the recorded batches as fast as acks allow, for `seconds`. */
async function step(port: number, token: string, k: number, seconds: number, batches: Batches, tag: string) {
  const clients = Array.from(
    { length: k },
    (_, i) => new ReplayClient(`ws://127.0.0.1:${port}/ws/collector`, token, `${tag}-${i}`),
  );
  await Promise.all(clients.map((c) => c.connect()));
  await Promise.all(clients.map((c) => c.send(JSON.stringify(batches.setup), batches.setup.length)));
  await Promise.all(clients.map((c) => c.drain()));
  for (const c of clients) {
    c.ackedEvents = 0;
    c.ackMs.length = 0;
  }
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; performance.now() < deadline; i++) await c.send(batches.eventsJson(i), BATCH);
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const events = clients.reduce((n, c) => n + c.ackedEvents, 0);
  const ackMs = clients.flatMap((c) => c.ackMs);
  await Promise.all(clients.map((c) => c.drain()));
  for (const c of clients) c.close();
  return { clients: k, eventsPerS: events / elapsed, ackMs } satisfies Step;
}

/**
 * 4. Hub ingest: K real WebSocket collectors replay batches recorded from a real collector on the lab into a
 * real hub process (buildApp, temp SQLite), K doubling until throughput stops rising; then repeated runs at
 * the best K. Baseline: the hub's store writing the same batches directly (better-sqlite3, no network).
 */
export const hubIngest: Bench = {
  id: 4,
  title: 'hub ingest: K WebSocket collectors vs store writes alone',
  async run(ctx) {
    const seconds = ctx.quick ? 2 : 5;
    const runs = ctx.quick ? 2 : 3;
    const batches = new Batches(BATCH);
    const hub = await startHub();
    try {
      let best: Step | null = null;
      for (let k = 1; k <= (ctx.quick ? 4 : 32); k *= 2) {
        const s = await step(hub.port, hub.collectorToken, k, seconds, batches, `ramp${k}`);
        ctx.log(
          `K=${k}: ${Math.round(s.eventsPerS)} events/s, ack p99 ${percentile(s.ackMs, 99).toFixed(0)} ms`,
        );
        if (best && s.eventsPerS < best.eventsPerS * 1.05) break;
        if (!best || s.eventsPerS > best.eventsPerS) best = s;
      }
      if (!best) throw new Error('no ingest step ran');
      const k = best.clients;
      const rates: number[] = [];
      const p50: number[] = [];
      const p99: number[] = [];
      const raw: number[] = [];
      for (let r = 0; r < runs; r++) {
        const s = await step(hub.port, hub.collectorToken, k, seconds, batches, `run${r}`);
        rates.push(s.eventsPerS);
        p50.push(percentile(s.ackMs, 50));
        p99.push(percentile(s.ackMs, 99));
        const rawDb = `${hub.dbFile}.raw${r}`;
        raw.push(
          (await runWorker<{ eventsPerS: number }>(STORE_WORKER, [rawDb, String(BATCH), String(seconds)]))
            .eventsPerS,
        );
        ctx.log(
          `run ${r + 1}: ${Math.round(rates.at(-1) ?? 0)} events/s via WebSocket, ${Math.round(raw.at(-1) ?? 0)} raw`,
        );
      }
      const baseline = { name: 'store.writeBatch, no network', samples: raw };
      return [
        figure({
          bench: 4,
          name: `ingest throughput, K=${k} collectors`,
          unit: 'events/s',
          samples: rates,
          baseline,
          target: '≥ 0.5× baseline and ≥ 50,000/s',
          check: (v, r) => r !== null && r >= 0.5 && v.median >= 50_000,
          note: `${BATCH}-event batches, 2 in flight per collector; K doubled from 1 until throughput rose < 5%`,
        }),
        figure({
          bench: 4,
          name: `ack latency p50, K=${k}`,
          unit: 'ms',
          samples: p50,
          target: '—',
        }),
        figure({
          bench: 4,
          name: `ack latency p99, K=${k}`,
          unit: 'ms',
          samples: p99,
          target: '≤ 100 ms',
          check: (v) => v.median <= 100,
        }),
      ];
    } finally {
      await hub.stop();
    }
  },
};
