/**
 * Where the collector's CPU and memory go, as it ships (the bundle of this checkout) on a lab host streaming
 * to a hub process:
 *   pnpm tsx bench/tools/profile-collector.ts load [N] [OUT_DIR]   bench 2's load (4 lftp sessions × N passive
 *     listings) under `--cpu-prof`: writes a .cpuprofile (open in DevTools) and prints the hottest functions.
 *     Also prints the CPU of each process of the tree and of the collector's threads (PROFILE_CPU=0: without
 *     the profiler, whose sampling costs CPU of its own; PROFILE_WARM=N: N listings per session first, unmeasured;
 *     PROFILE_ALLOC=PORT: also what it allocates, by function, through an inspector on PORT).
 *   pnpm tsx bench/tools/profile-collector.ts logins [N] [OUT_DIR]   bench 13's FTP part (N lftp sessions at 10/s,
 *     each a login and one listing) under `--cpu-prof`.
 *   pnpm tsx bench/tools/profile-collector.ts big [N] [OUT_DIR]    N control entries (bench 13's 100k part):
 *     prints RSS every 5 s for 150 s and the CPU of the last 60 s, then writes a heap snapshot (SIGUSR2).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleCollector } from '@ftpscope/packaging/bundle';
import { buildInfo } from '@ftpscope/shared/build-info';
import { locateCtReader } from '../../apps/collector/src/sources/ctreader-locate.ts';
import { startAllocSampling } from '../lib/alloc-profile.ts';
import { startCollector } from '../lib/collector.ts';
import { processRssMb, threadCpuMs, treeCpu, treeCpuMs } from '../lib/cpu.ts';
import { listingsLoad, loginsLoad } from '../lib/ftp-load.ts';
import { startHub } from '../lib/hub.ts';
import { insertControlEntries, withLab } from '../lib/lab.ts';
import { hottest } from '../lib/profile.ts';

const [mode = 'load', nArg, outArg] = process.argv.slice(2);
const OUT = resolve(outArg ?? 'bench/results/profile');
/** NODE_EXTRA_ARGS: more flags for the collector's node (e.g. "--trace-deopt"). */
const extraNodeArgs = process.env.NODE_EXTRA_ARGS?.split(' ').filter(Boolean) ?? [];
/** PROFILE_WARM: units of the same load run first, unmeasured (the JIT compiles the hot code in the first ~30 s). */
const warm = Number(process.env.PROFILE_WARM ?? 0);
/** PROFILE_ALLOC=PORT: the collector runs with an inspector on PORT; prints what it allocated under load, by function. */
const allocPort = Number(process.env.PROFILE_ALLOC ?? 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

mkdirSync(OUT, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'ftpscope-profile-'));
try {
  if (!process.env.FTPSCOPE_BENCH_COLLECTOR) {
    const pkg = new URL('../../apps/collector/package.json', import.meta.url);
    process.env.FTPSCOPE_BENCH_COLLECTOR = await bundleCollector(
      { ...buildInfo(pkg), commit: 'profile' },
      dir,
    );
  }
  await withLab(
    { name: process.env.PROFILE_LAB ?? `p${mode.slice(0, 7)}`, hosts: 1, profile: 'healthy' },
    async (lab) => {
      const host = lab.host('ftp1');
      const hub = await startHub({ dbFile: join(dir, 'hub.db') });
      try {
        const args = [
          ...['--hub', `ws://127.0.0.1:${hub.port}`, '--token', hub.collectorToken, '--name', mode],
          ...['--netns', host.netns, '--spool', join(dir, 'spool'), '--vsftpd-conf', host.vsftpdConf],
          ...['--log-level', 'warn'],
        ];
        const reader = await locateCtReader(null);
        if (reader.path) args.push('--ctreader', reader.path);
        if (mode === 'load' || mode === 'logins') {
          const n = Number(nArg ?? (mode === 'load' ? 1000 : 200));
          const c = startCollector(args, {
            nodeArgs: [
              ...(process.env.PROFILE_CPU === '0' ? [] : ['--cpu-prof', '--cpu-prof-dir', OUT]),
              ...(allocPort ? [`--inspect=127.0.0.1:${allocPort}`] : []),
              ...extraNodeArgs,
            ],
            logs: true,
          });
          await sleep(3000);
          if (warm > 0)
            await (mode === 'load' ? listingsLoad(lab, host.ip, warm) : loginsLoad(lab, host.ip, warm));
          const alloc = allocPort ? await startAllocSampling(allocPort) : null;
          const c0 = treeCpuMs(c.pid);
          const p0 = new Map(treeCpu(c.pid).map((p) => [p.pid, p]));
          const th0 = threadCpuMs(c.pid);
          const t0 = performance.now();
          await (mode === 'load' ? listingsLoad(lab, host.ip, n) : loginsLoad(lab, host.ip, n));
          const s = (performance.now() - t0) / 1000;
          const cpu = ((treeCpuMs(c.pid) - c0) / 1000 / s) * 100;
          const rate =
            mode === 'load' ? `${((4 * n) / s).toFixed(0)} data conn/s` : `${(n / s).toFixed(1)} sessions/s`;
          console.log(`${rate}, collector tree ${cpu.toFixed(1)} % of a core`);
          const pct = (ms: number) => `${((ms / 1000 / s) * 100).toFixed(2)} %`;
          for (const p of treeCpu(c.pid)) {
            const was = p0.get(p.pid);
            console.log(
              `  ${p.comm} (${p.pid}): ${pct(p.ms - (was?.ms ?? 0))}, of it reaped children ${pct(p.reapedMs - (was?.reapedMs ?? 0))}`,
            );
          }
          for (const [name, ms] of threadCpuMs(c.pid))
            if (ms - (th0.get(name) ?? 0) > 0)
              console.log(`    thread ${name}: ${pct(ms - (th0.get(name) ?? 0))}`);
          if (alloc) console.log(`allocation by function:\n${(await alloc.stop()).join('\n')}`);
          await sleep(2500);
          await c.stop();
          const prof = readdirSync(OUT)
            .filter((f) => f.endsWith('.cpuprofile'))
            .sort()
            .pop();
          if (prof) console.log(`${join(OUT, prof)}\n${hottest(join(OUT, prof)).join('\n')}`);
        } else {
          const n = Number(nArg ?? 100_000);
          await insertControlEntries(lab, host, 0, n);
          const c = startCollector(args, {
            nodeArgs: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${OUT}`, ...extraNodeArgs],
            logs: true,
          });
          const rss: string[] = [];
          let cpu0 = 0;
          for (let t = 0; t < 150_000; t += 5000) {
            if (t === 90_000) cpu0 = treeCpuMs(c.pid);
            await sleep(5000);
            rss.push((processRssMb(c.pid) ?? 0).toFixed(0));
          }
          console.log(`RSS (MB, every 5 s): ${rss.join(' ')}`);
          console.log(
            `CPU of the tree over the last 60 s: ${((treeCpuMs(c.pid) - cpu0) / 600).toFixed(2)} % of a core`,
          );
          process.kill(c.pid, 'SIGUSR2');
          // Written when its size stops growing (a 130 MB heap takes tens of seconds); at most 2 minutes.
          const size = () =>
            readdirSync(OUT)
              .filter((f) => f.endsWith('.heapsnapshot'))
              .reduce((n, f) => n + statSync(join(OUT, f)).size, 0);
          for (let last = -1, now = 0, t = 0; t < 120_000 && (now === 0 || now !== last); t += 2000) {
            await sleep(2000);
            last = now;
            now = size();
          }
          await c.stop();
          console.log(`heap snapshot in ${OUT}`);
        }
      } finally {
        await hub.stop();
      }
    },
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
