/**
 * The collector as it ships under bench 2's load for minutes, not seconds: long enough for the first data
 * connections' TIME_WAIT (120 s) to end, so their DESTROY events join the stream and the model holds what a
 * sustained rate makes it hold (~2 minutes of data connections):
 *   pnpm tsx bench/tools/soak-load.ts [LISTINGS_PER_SESSION] [AFTER_S]
 * 4 lftp sessions list in rounds of 6,000 (lftp's script is one argument); every 15 s prints the collector's RSS,
 * its process tree's CPU over those 15 s and the entries in the host's conntrack table; then AFTER_S seconds
 * (default 120) of RSS with the host quiet.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleCollector } from '@ftpscope/packaging/bundle';
import { buildInfo } from '@ftpscope/shared/build-info';
import { locateCtReader } from '../../apps/collector/src/sources/ctreader-locate.ts';
import { startCollector } from '../lib/collector.ts';
import { processRssMb, treeCpuMs } from '../lib/cpu.ts';
import { listingsLoad } from '../lib/ftp-load.ts';
import { startHub } from '../lib/hub.ts';
import { withLab } from '../lib/lab.ts';

const n = Number(process.argv[2] ?? 48_000);
const afterS = Number(process.argv[3] ?? 120);
const ROUND = 6000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'ftpscope-soak-'));
try {
  const pkg = new URL('../../apps/collector/package.json', import.meta.url);
  process.env.FTPSCOPE_BENCH_COLLECTOR = await bundleCollector({ ...buildInfo(pkg), commit: 'soak' }, dir);
  const reader = await locateCtReader(null);
  if (reader.path === null) throw new Error(reader.reason);
  await withLab({ name: 'soak', hosts: 1, profile: 'healthy' }, async (lab) => {
    const host = lab.host('ftp1');
    const hub = await startHub({ dbFile: join(dir, 'hub.db') });
    const c = startCollector(
      [
        ...['--hub', `ws://127.0.0.1:${hub.port}`, '--token', hub.collectorToken, '--name', 'soak'],
        ...['--netns', host.netns, '--spool', join(dir, 'spool'), '--vsftpd-conf', host.vsftpdConf],
        ...['--log-level', 'warn', '--ctreader', reader.path as string],
      ],
      { logs: true },
    );
    try {
      await sleep(3000);
      let done = false;
      const t0 = performance.now();
      const load = (async () => {
        for (let k = 0; k < n; k += ROUND) await listingsLoad(lab, host.ip, Math.min(ROUND, n - k));
      })().finally(() => {
        done = true;
      });
      let [cpu0, at0] = [treeCpuMs(c.pid), performance.now()];
      while (!done) {
        await Promise.race([sleep(15_000), load]);
        const [cpu, at] = [treeCpuMs(c.pid), performance.now()];
        const entries = (await lab.exec('ftp1', ['conntrack', '-C'])).stdout.trim();
        console.log(
          `${((at - t0) / 1000).toFixed(0)} s: RSS ${processRssMb(c.pid)?.toFixed(0)} MB, CPU ${(((cpu - cpu0) / (at - at0)) * 100).toFixed(1)} % of a core, ${entries} conntrack entries`,
        );
        [cpu0, at0] = [cpu, at];
      }
      await load;
      console.log(`load done: ${Math.round((4 * n) / ((performance.now() - t0) / 1000))} data conn/s`);
      for (let t = 0; t < afterS; t += 30) {
        await sleep(30_000);
        console.log(`quiet +${t + 30} s: RSS ${processRssMb(c.pid)?.toFixed(0)} MB`);
      }
    } finally {
      await c.stop();
      await hub.stop();
    }
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
