/**
 * A/B of the collector's CPU under bench 2's load (4 lftp sessions × N passive listings), two builds taking
 * turns on one lab host and one hub, so the machine's drift between sittings cancels out:
 *   pnpm tsx bench/tools/ab-load.ts DIR_A DIR_B [ROUNDS] [N]
 * Each DIR holds ftpscope-collector.mjs and ftpscope-ctreader (bench/tools/bundle-rev.sh builds one from a
 * revision). Rounds run A B then B A alternately; prints each run (with the native reader's share) and the medians
 * per 1,000 connections/s.
 * AB_MODE=logins runs bench 13's FTP part instead (N lftp sessions at 10/s, each a login and a listing; medians
 * in % of a core); AB_ARGS_A / AB_ARGS_B add collector flags to one side (e.g. "--interval 4000"); AB_WARM=N runs
 * N units of the same load unmeasured first (the JIT compiles the hot code within the first ~30 s); AB_NODE_A /
 * AB_NODE_B add node flags to one side (e.g. "--single-threaded-gc"; DIR_A and DIR_B may be the same build).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readerCpuMs, treeCpuMs } from '../lib/cpu.ts';
import { listingsLoad, loginsLoad } from '../lib/ftp-load.ts';
import { startHub } from '../lib/hub.ts';
import { withLab } from '../lib/lab.ts';

const [a, b, roundsArg, nArg] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: pnpm tsx bench/tools/ab-load.ts DIR_A DIR_B [ROUNDS] [N]');
  process.exit(2);
}
const dirs = [resolve(a), resolve(b)];
const rounds = Number(roundsArg ?? 4);
const n = Number(nArg ?? 1500);
const logins = process.env.AB_MODE === 'logins';
const warm = Number(process.env.AB_WARM ?? 0);
const words = (x: string | undefined) => x?.split(' ').filter(Boolean) ?? [];
const extra = [process.env.AB_ARGS_A, process.env.AB_ARGS_B].map(words);
const nodeFlags = [process.env.AB_NODE_A, process.env.AB_NODE_B].map(words);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? Number.NaN;

const tmp = mkdtempSync(join(tmpdir(), 'ftpscope-ab-'));
try {
  await withLab({ name: 'ab', hosts: 1, profile: 'healthy' }, async (lab) => {
    const host = lab.host('ftp1');
    const hub = await startHub({ dbFile: join(tmp, 'hub.db') });
    const per: number[][] = [[], []];
    try {
      for (let r = 0; r < rounds; r++) {
        for (const v of r % 2 === 0 ? [0, 1] : [1, 0]) {
          const dir = dirs[v] as string;
          await lab.exec('ftp1', ['conntrack', '-F']);
          const child = spawn(
            process.execPath,
            [
              ...(nodeFlags[v] ?? []),
              join(dir, 'ftpscope-collector.mjs'),
              ...['--hub', `ws://127.0.0.1:${hub.port}`, '--token', hub.collectorToken, '--name', `ab${v}`],
              ...[
                '--netns',
                host.netns,
                '--spool',
                join(tmp, `spool-${r}-${v}`),
                '--vsftpd-conf',
                host.vsftpdConf,
              ],
              ...['--ctreader', join(dir, 'ftpscope-ctreader'), '--log-level', 'error'],
              ...(extra[v] ?? []),
            ],
            { stdio: 'ignore' },
          );
          const exited = new Promise((res) => child.once('exit', res));
          try {
            await sleep(3000); // started, subscribed, first sync sent (as bench 2)
            if (warm > 0) await (logins ? loginsLoad(lab, host.ip, warm) : listingsLoad(lab, host.ip, warm));
            const c0 = treeCpuMs(child.pid as number);
            const r0 = readerCpuMs(child.pid as number);
            const t0 = performance.now();
            await (logins ? loginsLoad(lab, host.ip, n) : listingsLoad(lab, host.ip, n));
            const s = (performance.now() - t0) / 1000;
            const cpu = ((treeCpuMs(child.pid as number) - c0) / 1000 / s) * 100;
            const readerCpu = ((readerCpuMs(child.pid as number) - r0) / 1000 / s) * 100;
            const rate = ((logins ? 1 : 4) * n) / s;
            per[v]?.push(logins ? cpu : cpu / (rate / 1000));
            const unit = logins ? 'sessions' : 'conn';
            const perK = logins
              ? ''
              : `, ${(cpu / (rate / 1000)).toFixed(1)} % per 1,000/s (the native reader ${(readerCpu / (rate / 1000)).toFixed(2)})`;
            console.log(
              `round ${r + 1} ${v === 0 ? 'A' : 'B'}: ${rate.toFixed(1)} ${unit}/s, ${cpu.toFixed(2)} % of a core${perK}`,
            );
          } finally {
            child.kill('SIGTERM');
            await exited;
          }
        }
      }
    } finally {
      await hub.stop();
    }
    const [ma, mb] = per.map(median) as [number, number];
    const what = logins ? '% of a core' : '% of a core per 1,000 conn/s';
    console.log(`median ${what}: A ${ma.toFixed(2)}, B ${mb.toFixed(2)}, B/A ${(mb / ma).toFixed(2)}`);
  });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
