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
export const BATCH = 500;

interface Step {
  clients: number;
  eventsPerS: number;
  ackMs: number[];
}

/** Share of the saturating rate at which ack latency is measured (latency at saturation is queueing). */
const PACED_SHARE = 0.8;

/**
 * K simulated collectors replay the recorded batches for `seconds`: as fast as acks allow, or, with
 * `eventsPerS`, paced at that total rate (each batch due at a fixed time; its latency counts from then).
 * `port` may list several hubs: collector i goes to hub i mod n (bench 12's two hubs).
 */
export async function step(
  port: number | number[],
  token: string,
  k: number,
  seconds: number,
  batches: Batches,
  tag: string,
  eventsPerS?: number,
) {
  const ports = Array.isArray(port) ? port : [port];
  const clients = Array.from(
    { length: k },
    (_, i) =>
      new ReplayClient(`ws://127.0.0.1:${ports[i % ports.length]}/ws/collector`, token, `${tag}-${i}`),
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
  const interval = eventsPerS ? (BATCH * k * 1000) / eventsPerS : 0;
  await Promise.all(
    clients.map(async (c, n) => {
      for (let i = 0; ; i++) {
        if (!interval) {
          if (performance.now() >= deadline) break;
          await c.send(batches.eventsJson(i), BATCH);
          continue;
        }
        // Clients start staggered so their batches do not arrive in lockstep. Every batch due before the
        // deadline is sent, however late, so a stall shows in the latency instead of shortening the run.
        const due = t0 + (i + n / k) * interval;
        if (due >= deadline) break;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await c.send(batches.eventsJson(i), BATCH, 8, due);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const events = clients.reduce((n, c) => n + c.ackedEvents, 0);
  // Latency of every batch sent, including those still in flight at the deadline (often the slowest).
  await Promise.all(clients.map((c) => c.drain()));
  const ackMs = clients.flatMap((c) => c.ackMs);
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
      const satP99: number[] = [];
      const raw: number[] = [];
      for (let r = 0; r < runs; r++) {
        const s = await step(hub.port, hub.collectorToken, k, seconds, batches, `run${r}`);
        rates.push(s.eventsPerS);
        satP99.push(percentile(s.ackMs, 99));
        const rawDb = `${hub.dbFile}.raw${r}`;
        raw.push(
          (await runWorker<{ eventsPerS: number }>(STORE_WORKER, [rawDb, String(BATCH), String(seconds)]))
            .eventsPerS,
        );
        ctx.log(
          `run ${r + 1}: ${Math.round(rates.at(-1) ?? 0)} events/s via WebSocket, ${Math.round(raw.at(-1) ?? 0)} raw`,
        );
      }
      // Latency at a sustained load just below saturation: at saturation every collector's window is full and
      // the ack time is the queue's length (Little's law), whatever the hub does.
      const paced = Math.round(PACED_SHARE * percentile(rates, 50));
      for (let r = 0; r < runs; r++) {
        const s = await step(hub.port, hub.collectorToken, k, seconds, batches, `paced${r}`, paced);
        p50.push(percentile(s.ackMs, 50));
        p99.push(percentile(s.ackMs, 99));
        ctx.log(
          `paced run ${r + 1}: ${Math.round(s.eventsPerS)} of ${paced} events/s, ack p99 ${p99.at(-1)?.toFixed(0)} ms`,
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
          name: `ack latency p50, K=${k}, at ${PACED_SHARE * 100}% of max rate`,
          unit: 'ms',
          samples: p50,
          target: '—',
          note: `${paced} events/s paced (batches due at fixed times, latency counted from then)`,
        }),
        figure({
          bench: 4,
          name: `ack latency p99, K=${k}, at ${PACED_SHARE * 100}% of max rate`,
          unit: 'ms',
          samples: p99,
          target: '≤ 100 ms',
          check: (v) => v.median <= 100,
          note: `${paced} events/s paced (batches due at fixed times, latency counted from then)`,
        }),
        figure({
          bench: 4,
          name: `ack latency p99, K=${k}, at saturation`,
          unit: 'ms',
          samples: satP99,
          target: '— (queueing: K × 2 batches in flight)',
          note: 'the throughput runs: every window full, so this is the queue length, not the hub',
        }),
      ];
    } finally {
      await hub.stop();
    }
  },
};
