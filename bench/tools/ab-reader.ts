/**
 * A/B of two native readers on the very same traffic: both subscribe in one lab host's namespace at once while
 * bench 2's load runs (4 lftp sessions × N passive listings), so the machine's drift cannot favour either:
 *   pnpm tsx bench/tools/ab-reader.ts READER_A READER_B [N] [ROUNDS]
 * Prints, per round and as medians, each reader's CPU (user + system, from /proc) per 1,000 data connections
 * and the lines it printed by kind, and fails when the two printed different numbers of records.
 */
import { resolve } from 'node:path';
import { realSpawnLines, spawnWithNetns } from '../../apps/collector/src/exec.ts';
import { treeCpuMs } from '../lib/cpu.ts';
import { listingsLoad } from '../lib/ftp-load.ts';
import { withLab } from '../lib/lab.ts';

const [aArg, bArg, nArg, roundsArg] = process.argv.slice(2);
if (!aArg || !bArg) {
  console.error('usage: pnpm tsx bench/tools/ab-reader.ts READER_A READER_B [N] [ROUNDS]');
  process.exit(2);
}
const readers = [resolve(aArg), resolve(bArg)];
const n = Number(nArg ?? 1500);
const rounds = Number(roundsArg ?? 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? Number.NaN;

await withLab({ name: 'abr', hosts: 1, profile: 'healthy' }, async (lab) => {
  const host = lab.host('ftp1');
  const range = host.passiveRange.join('-');
  const per: number[][] = [[], []];
  for (let r = 0; r < rounds; r++) {
    const spawnNs = spawnWithNetns(realSpawnLines, host.netns);
    const counts = readers.map(() => ({}) as Record<string, number>);
    const children = readers.map((path, i) =>
      spawnNs(path, ['events', '--ports', '21', '--passive', range], {
        onStdout: (l) => {
          const k = l.split('\t', 2).join(' ');
          const kinds = counts[i] as Record<string, number>;
          kinds[k] = (kinds[k] ?? 0) + 1;
        },
        onStderr: (l) => console.error(l),
        onExit: () => {},
      }),
    );
    try {
      await sleep(1000);
      // nsenter execs the reader: the child's pid is the reader's.
      const c0 = children.map((c) => treeCpuMs(c.pid as number));
      await listingsLoad(lab, host.ip, n);
      await sleep(1000);
      const used = children.map((c, i) => treeCpuMs(c.pid as number) - (c0[i] as number));
      const records = counts.map((k) => Object.entries(k).filter(([x]) => /^[CX] /.test(x)));
      const sum = (xs: [string, number][]) => xs.reduce((t, [, v]) => t + v, 0);
      readers.forEach((path, i) => {
        const ms = used[i] as number;
        per[i]?.push((ms / (4 * n)) * 1000);
        console.log(
          `round ${r + 1} ${'AB'[i]}: ${ms} ms CPU, ${((ms / (4 * n)) * 1000).toFixed(0)} ms per 1,000 data connections; ` +
            `${(records[i] ?? []).map(([k, v]) => `${k} ${v}`).join(', ')} (${path})`,
        );
      });
      const [ra, rb] = records.map((x) => sum(x ?? []));
      if (ra !== rb) {
        console.log(`round ${r + 1}: A printed ${ra} records, B ${rb}`);
        process.exitCode = 1;
      }
    } finally {
      for (const c of children) c.stop();
    }
    await sleep(500);
  }
  const [ma, mb] = per.map(median) as [number, number];
  console.log(
    `median CPU per 1,000 data connections: A ${ma.toFixed(0)} ms, B ${mb.toFixed(0)} ms, B/A ${(mb / ma).toFixed(2)}`,
  );
});
