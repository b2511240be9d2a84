/**
 * What merely receiving bench 2's input costs, the floor under the collector's CPU: the native reader plus a plain
 * node process that reads its lines and the vsftpd log as the collector does and does nothing with them
 * (io-floor-child.mjs; "parse" adds a tab split per reader line and one regular expression per log line):
 *   pnpm tsx bench/tools/io-floor.ts [N] [ROUNDS]
 * 4 lftp sessions × N passive listings on a lab host (helper assigned), after a warm-up; prints the rate and the
 * process tree's CPU, and the reader's alone, per 1,000 data connections/s, for read and parse in turns.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { locateCtReader } from '../../apps/collector/src/sources/ctreader-locate.ts';
import { readerCpuMs, treeCpuMs } from '../lib/cpu.ts';
import { listingsLoad } from '../lib/ftp-load.ts';
import { withLab } from '../lib/lab.ts';

const CHILD = fileURLToPath(new URL('./io-floor-child.mjs', import.meta.url));
const n = Number(process.argv[2] ?? 3000);
const rounds = Number(process.argv[3] ?? 2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const reader = await locateCtReader(null);
if (reader.path === null) throw new Error(reader.reason);
await withLab({ name: 'floor', hosts: 1, profile: 'healthy' }, async (lab) => {
  const host = lab.host('ftp1');
  await listingsLoad(lab, host.ip, 5); // vsftpd creates its log at the first login
  for (let r = 0; r < rounds; r++) {
    for (const mode of ['read', 'parse']) {
      const argv = [
        CHILD,
        reader.path as string,
        host.netns,
        host.passiveRange.join('-'),
        host.logFile,
        mode,
      ];
      const child = spawn(process.execPath, argv, { stdio: ['ignore', 'inherit', 'inherit'] });
      const pid = child.pid as number;
      try {
        await sleep(1500);
        await listingsLoad(lab, host.ip, 200);
        const [c0, r0, t0] = [treeCpuMs(pid), readerCpuMs(pid), performance.now()];
        await listingsLoad(lab, host.ip, n);
        const s = (performance.now() - t0) / 1000;
        const per1k = (ms: number) => ms / s / 10 / ((4 * n) / s / 1000);
        console.log(
          `${mode}: ${Math.round((4 * n) / s)} data conn/s; per 1,000/s: tree ${per1k(treeCpuMs(pid) - c0).toFixed(2)} % of a core, ` +
            `of it the reader ${per1k(readerCpuMs(pid) - r0).toFixed(2)} %`,
        );
        child.kill('SIGUSR2');
        await sleep(200);
      } finally {
        child.kill('SIGTERM');
        await sleep(300);
      }
    }
  }
});
