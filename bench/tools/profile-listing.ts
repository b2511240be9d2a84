/**
 * Where bench 1's list+model CPU goes: N FTP control entries (default 100k) in a lab host's table, bench 1's
 * worker run once under `--cpu-prof` (1 repetition per run, 3 runs):
 *   pnpm tsx bench/tools/profile-listing.ts [N] [OUT_DIR]
 * Prints the worker's figures and the hottest functions (self time) of its profile.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { insertControlEntries, withLab } from '../lib/lab.ts';
import { hottest } from '../lib/profile.ts';
import { runWorker } from '../lib/worker.ts';

const WORKER = fileURLToPath(new URL('../benches/conntrack-worker.ts', import.meta.url));
const [nArg, outArg] = process.argv.slice(2);
const n = Number(nArg ?? 100_000);
const OUT = resolve(outArg ?? 'bench/results/profile');
mkdirSync(OUT, { recursive: true });

await withLab({ name: 'plist', hosts: 1, profile: 'open' }, async (lab) => {
  const host = lab.hosts[0];
  if (!host) throw new Error('lab has no host');
  await insertControlEntries(lab, host, 0, n);
  const before = new Set(readdirSync(OUT));
  const res = await runWorker<Record<string, unknown>>(WORKER, [host.netns, '1', '3'], {
    nodeArgs: ['--expose-gc', '--cpu-prof', '--cpu-prof-dir', OUT],
  });
  console.log(JSON.stringify(res));
  const prof = readdirSync(OUT).find((f) => f.endsWith('.cpuprofile') && !before.has(f));
  if (prof) console.log(`${join(OUT, prof)}\n${hottest(join(OUT, prof)).join('\n')}`);
});
