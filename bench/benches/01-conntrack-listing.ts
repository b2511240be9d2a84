import { fileURLToPath } from 'node:url';
import type { Bench, Figure } from '../lib/figure.ts';
import { figure } from '../lib/figure.ts';
import { inNetns, insertControlEntries, withLab } from '../lib/lab.ts';
import { runWorker } from '../lib/worker.ts';

const WORKER = fileURLToPath(new URL('./conntrack-worker.ts', import.meta.url));

interface WorkerResult {
  baselineMs: number[];
  collectorMs: number[];
  rssMb: number;
  rssStartMb: number;
  heapMb: number;
  sessions: number;
  forgetMs: number;
}

/**
 * 1. The collector's (re)synchronisation: list the FTP entries (kernel-filtered), parse them and build the
 * session model, on a table of N real conntrack entries, against `conntrack -L` alone on the same table.
 * Every entry is an FTP control connection, the worst case (the filter keeps them all).
 */
export const conntrackListing: Bench = {
  id: 1,
  title: 'collector: list + model N conntrack entries vs conntrack -L',
  async run(ctx) {
    const sizes = ctx.quick ? [1000, 10_000] : [1000, 10_000, 100_000];
    const runs = ctx.quick ? 3 : 5;
    return withLab({ name: `b${ctx.tag}`, hosts: 1, profile: 'open' }, async (lab) => {
      const host = lab.hosts[0];
      if (!host) throw new Error('lab has no host');
      const figures: Figure[] = [];
      let have = 0;
      for (const size of sizes) {
        const t0 = Date.now();
        await insertControlEntries(lab, host, have, size);
        have = size;
        const count = Number((await inNetns(host.netns, ['conntrack', '-C'])).trim());
        ctx.log(`${count} entries in ${host.netns} (inserted in ${Date.now() - t0} ms)`);
        // Enough repetitions that 10 ms CPU accounting ticks stay small against the total.
        const reps = Math.max(1, Math.round(20_000 / size));
        const res = await runWorker<WorkerResult>(WORKER, [host.netns, String(reps), String(runs)], {
          nodeArgs: ['--expose-gc'],
        });
        // A netlink dump of a table this size may skip a few entries (hash resizes during the dump).
        if (res.sessions < size * 0.99)
          throw new Error(`model holds ${res.sessions} sessions, expected ${size}`);
        figures.push(
          figure({
            bench: 1,
            name: `list+model CPU, ${size.toLocaleString('en-US')} entries`,
            unit: 'ms',
            samples: res.collectorMs,
            baseline: { name: 'conntrack -L', samples: res.baselineMs },
            target: '≤ 1.5× baseline',
            check: (_, r) => r !== null && r <= 1.5,
          }),
        );
        if (size === sizes.at(-1))
          figures.push(
            figure({
              bench: 1,
              name: `forget ${size.toLocaleString('en-US')} ended sessions in one tick`,
              unit: 'ms',
              samples: [res.forgetMs],
              baseline: { name: 'list+model', samples: res.collectorMs },
              target: '≤ 0.5× baseline',
              check: (_, r) => r !== null && r <= 0.5,
              note: 'all sessions (two client addresses) destroyed at once, forgotten by the tick after their minute of lingering: CPU of that tick, which blocks the event loop',
            }),
            figure({
              bench: 1,
              name: `collector RSS holding ${size.toLocaleString('en-US')} sessions`,
              unit: 'MB',
              samples: [res.rssMb],
              baseline: { name: 'RSS before listing', samples: [res.rssStartMb] },
              target: 'context (the shipped collector: bench 12)',
              note: `${res.sessions.toLocaleString('en-US')} sessions modelled; model heap ${res.heapMb.toFixed(1)} MB; a worker through tsx with the collector's reader and model; the collector as it ships, holding 100k sessions, is measured in bench 12`,
            }),
          );
      }
      return figures;
    });
  },
};
