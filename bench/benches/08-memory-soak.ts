import { Batches } from '../lib/batches.ts';
import { processRssMb } from '../lib/cpu.ts';
import type { Bench } from '../lib/figure.ts';
import { figure } from '../lib/figure.ts';
import { startHub } from '../lib/hub.ts';
import { ReplayClient } from '../lib/replay-client.ts';
import { percentile } from '../lib/stats.ts';

const COLLECTORS = 200;
const EVENTS_PER_S = 20;
/** A collector flushes every 200 ms: 5 batches/s of 4 events. */
const FLUSH_MS = 200;

/**
 * 8. Memory soak: 200 simulated collectors (real WebSockets on loopback) each sending 20 recorded events/s
 * to a hub process for 5 minutes (quick: 20 s). Hub RSS growth after a warm-up (the first fifth), against
 * the RSS at the end of the warm-up; every event must be acknowledged.
 */
export const memorySoak: Bench = {
  id: 8,
  title: `memory soak: ${COLLECTORS} collectors × ${EVENTS_PER_S} events/s`,
  async run(ctx) {
    const seconds = ctx.quick ? 20 : 300;
    const perBatch = (EVENTS_PER_S * FLUSH_MS) / 1000;
    const batches = new Batches(perBatch);
    const hub = await startHub();
    const clients = Array.from(
      { length: COLLECTORS },
      (_, i) => new ReplayClient(`ws://127.0.0.1:${hub.port}/ws/collector`, hub.collectorToken, `soak-${i}`),
    );
    try {
      await Promise.all(clients.map((c) => c.connect()));
      const rss: { t: number; mb: number }[] = [];
      const t0 = performance.now();
      const deadline = t0 + seconds * 1000;
      let sent = 0;
      const sampler = setInterval(() => {
        const mb = processRssMb(hub.pid);
        if (mb !== null) rss.push({ t: (performance.now() - t0) / 1000, mb });
      }, 1000);
      await Promise.all(
        clients.map(async (c, k) => {
          await new Promise((r) => setTimeout(r, (k * FLUSH_MS) / COLLECTORS)); // spread, like real hosts
          for (let i = 0; performance.now() < deadline; i++) {
            const next = performance.now() + FLUSH_MS;
            await c.send(batches.eventsJson(i), perBatch, 1000);
            sent += perBatch;
            await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
          }
          await c.drain();
        }),
      );
      clearInterval(sampler);
      const acked = clients.reduce((n, c) => n + c.ackedEvents, 0);
      const warm = rss.filter((s) => s.t <= seconds / 5).map((s) => s.mb);
      const after = rss.filter((s) => s.t > seconds / 5).map((s) => s.mb);
      const end = rss.filter((s) => s.t > (seconds * 4) / 5).map((s) => s.mb);
      const warmMb = warm.at(-1) ?? Number.NaN;
      const ackMs = clients.flatMap((c) => c.ackMs);
      ctx.log(
        `RSS ${warmMb.toFixed(0)} MB after warm-up, max ${Math.max(...after).toFixed(0)} MB; ${acked}/${sent} events acked`,
      );
      return [
        figure({
          bench: 8,
          name: `hub RSS in the last fifth of ${seconds} s`,
          unit: 'MB',
          samples: end,
          baseline: { name: 'RSS after warm-up', samples: [warmMb] },
          target: '≤ 1.10× (growth ≤ 10%)',
          check: (_, r) => r !== null && r <= 1.1,
          note: `RSS sampled every second, peak ${Math.max(...after).toFixed(0)} MB after warm-up; ${acked.toLocaleString('en-US')} of ${sent.toLocaleString('en-US')} events acknowledged; ack p50 ${percentile(ackMs, 50).toFixed(1)} ms, p99 ${percentile(ackMs, 99).toFixed(1)} ms`,
        }),
        figure({
          bench: 8,
          name: 'events acknowledged / sent',
          unit: '%',
          samples: [(acked / sent) * 100],
          target: '100%',
          check: (v) => v.median === 100,
        }),
      ];
    } finally {
      for (const c of clients) c.close();
      await hub.stop();
    }
  },
};
