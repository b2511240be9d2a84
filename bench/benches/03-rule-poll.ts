import { fileURLToPath } from 'node:url';
import type { Bench, Figure } from '../lib/figure.ts';
import { figure } from '../lib/figure.ts';
import { inNetns, withNamespace } from '../lib/lab.ts';
import { runWorker } from '../lib/worker.ts';

const WORKER = fileURLToPath(new URL('./rule-poll-worker.ts', import.meta.url));

/** An iptables-restore filter table with n rules: a mix of accepts, drops and commented rules. */
function ruleset(n: number): string {
  const lines = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (let i = 0; i < n; i++) {
    const src = `198.18.${128 + (i >> 8)}.${i & 255}/32`;
    const comment = i % 10 === 0 ? ` -m comment --comment "bench rule ${i}"` : '';
    const verdict = i % 7 === 0 ? 'DROP' : 'ACCEPT';
    lines.push(`-A INPUT -s ${src} -p tcp -m tcp --dport ${1024 + (i % 50_000)}${comment} -j ${verdict}`);
  }
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}

/**
 * 3. One rule-counter poll as the collector runs it every second (run the save tools and nft, parse, stable
 * ids, change detection, deltas) with N rules, against `iptables-save -c` of that backend alone.
 */
export const rulePoll: Bench = {
  id: 3,
  title: 'collector: rule-counter poll vs iptables-save -c',
  async run(ctx) {
    const sizes = ctx.quick ? [100, 1000] : [100, 1000, 10_000];
    const runs = ctx.quick ? 3 : 5;
    const figures: Figure[] = [];
    for (const backend of ['nft', 'legacy'] as const) {
      await withNamespace(`fsb-${ctx.tag}-${backend}`, async (netns) => {
        for (const size of sizes) {
          await inNetns(netns, [`iptables-${backend}-restore`, '@input'], ruleset(size));
          const reps = size >= 10_000 ? 3 : 10;
          const res = await runWorker<{ baselineMs: number[]; pollMs: number[]; rules: number }>(WORKER, [
            netns,
            backend,
            String(reps),
            String(runs),
          ]);
          ctx.log(`${backend}: ${res.rules} rules polled`);
          figures.push(
            figure({
              bench: 3,
              name: `poll CPU, ${size.toLocaleString('en-US')} rules, iptables-${backend}`,
              unit: 'ms',
              samples: res.pollMs,
              baseline: { name: `iptables-${backend}-save -c`, samples: res.baselineMs },
              target: '≤ 1.3× baseline',
              check: (_, r) => r !== null && r <= 1.3,
            }),
          );
        }
      });
    }
    return figures;
  },
};
