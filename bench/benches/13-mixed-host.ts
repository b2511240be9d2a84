import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from '@ftpscope/lab';
import { locateCtReader } from '../../apps/collector/src/sources/ctreader-locate.ts';
import { collectorEntry, startCollector } from '../lib/collector.ts';
import { processRssMb, treeCpuMs } from '../lib/cpu.ts';
import type { Bench, Figure } from '../lib/figure.ts';
import { figure } from '../lib/figure.ts';
import { startHub } from '../lib/hub.ts';
import { inNetns, insertControlEntries, withLab } from '../lib/lab.ts';

const TCP_LOAD = fileURLToPath(new URL('../lib/tcp-load.ts', import.meta.url));
/** Non-FTP connections per second (a busy web server beside the FTP server) and FTP sessions per second. */
const OTHER_RATE = 2000;
const FTP_RATE = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a process and resolves once it printed `ready` on stdout. */
function started(argv: string[], ready: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => d.includes(ready) && resolve(child));
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited with ${code}`)));
  });
}

/** `seconds` of mixed traffic: OTHER_RATE short TCP connections/s to port 80 and FTP_RATE lftp sessions/s (login + a listing). */
async function mixedLoad(
  lab: Lab,
  seconds: number,
): Promise<{ other: number; ftp: number; seconds: number }> {
  const ip = lab.host('ftp1').ip;
  const t0 = performance.now();
  const n = seconds * FTP_RATE;
  const ftp = lab.exec('client', [
    'bash',
    '-c',
    `ok=0; p=(); for i in $(seq ${n}); do timeout 20 lftp -c "set ftp:passive-mode on; set cache:enable no; open -u anonymous,lab@ ftp://${ip}; cls > /dev/null" & p+=($!); sleep ${1 / FTP_RATE}; done; for x in "\${p[@]}"; do wait $x && ok=$((ok+1)); done; echo $ok`,
  ]);
  const other = lab.exec('client', [
    process.execPath,
    ...['--import', 'tsx', TCP_LOAD, 'client', ip, '80', String(OTHER_RATE), String(seconds)],
  ]);
  const [f, o] = await Promise.all([ftp, other]);
  if (o.code !== 0) throw new Error(`tcp-load client failed: ${o.stderr.slice(0, 300)}`);
  return {
    ftp: Number(f.stdout.trim()),
    other: (JSON.parse(o.stdout.trim().split('\n').pop() ?? '{}') as { made: number }).made,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Samples a process tree's CPU (% of a core) over `ms`. */
async function cpuPercent(pid: number, ms: number): Promise<number> {
  const c0 = treeCpuMs(pid);
  await sleep(ms);
  return ((treeCpuMs(pid) - c0) / ms) * 100;
}

/**
 * 13. The collector on a host that serves other things too: idle (CPU, RSS), under OTHER_RATE non-FTP
 * connections/s plus FTP_RATE FTP sessions/s of real traffic (process-tree CPU against `conntrack -E -p tcp`
 * alone under the same load; every FTP session and data connection stored by the hub), and its RSS holding
 * 100k FTP sessions (control entries loaded with conntrack -R), all with the collector as it ships (a bundle
 * run by plain node when one is built, else tsx; the note says which).
 */
export const mixedHost: Bench = {
  id: 13,
  title: 'collector on a mixed host: idle, FTP among other traffic, RSS at 100k sessions',
  async run(ctx) {
    const seconds = ctx.quick ? 6 : 20;
    const runs = ctx.quick ? 1 : 3;
    const big = ctx.quick ? 10_000 : 100_000;
    const settleMs = ctx.quick ? 5000 : 30_000;
    const reader = await locateCtReader(null);
    if (reader.path === null) throw new Error(reader.reason);
    const how = `${collectorEntry().bundled ? 'bundled collector (plain node)' : 'collector through tsx (no bundle built)'}, native reader`;
    const dir = mkdtempSync(join(tmpdir(), 'ftpscope-bench-mixed-'));
    try {
      return await withLab({ name: `b${ctx.tag}`, hosts: 1, profile: 'healthy' }, async (lab) => {
        const host = lab.host('ftp1');
        await inNetns(host.netns, ['iptables', '-I', 'INPUT', '-p', 'tcp', '--dport', '80', '-j', 'ACCEPT']);
        // One client address makes all the non-FTP load: its closed connections hold their ports in TIME_WAIT for
        // 60 s, and the 28k ephemeral ports ran out within a phase and into the next (measured: 1,111, then
        // 232 conn/s in back-to-back 20 s phases, so the baseline and the collector saw different loads). Reusing
        // TIME_WAIT ports (timestamps tell the connections apart) keeps every phase at the rate asked (~1,965).
        const reuse = await lab.exec('client', ['sysctl', '-qw', 'net.ipv4.tcp_tw_reuse=1']);
        if (reuse.code !== 0)
          throw new Error(`sysctl net.ipv4.tcp_tw_reuse=1 in the client: ${reuse.stderr}`);
        const server = await started(
          [
            'ip',
            'netns',
            'exec',
            host.netns,
            process.execPath,
            '--import',
            'tsx',
            TCP_LOAD,
            'server',
            host.ip,
            '80',
          ],
          'listening',
        );
        const hub = await startHub({ dbFile: join(dir, 'hub.db') });
        const collector = (name: string) =>
          startCollector([
            ...['--hub', `ws://127.0.0.1:${hub.port}`, '--token', hub.collectorToken, '--name', name],
            ...[
              '--netns',
              host.netns,
              '--spool',
              join(dir, `spool-${name}`),
              '--vsftpd-conf',
              host.vsftpdConf,
            ],
            ...['--ctreader', reader.path as string, '--log-level', 'warn'],
          ]);
        const figures: Figure[] = [];
        try {
          // Idle: started, first sync sent, then nothing happens on the host.
          const idle = collector('idle');
          await sleep(settleMs);
          const idleCpu = await cpuPercent(idle.pid, settleMs);
          const idleRss = processRssMb(idle.pid) ?? 0;
          await idle.stop();
          ctx.log(`idle: ${idleCpu.toFixed(2)}% of a core, ${idleRss.toFixed(1)} MB RSS`);

          const base: number[] = [];
          const ours: number[] = [];
          let ftpMade = 0;
          let sessionsStored = 0;
          let dataStored = 0;
          let otherRate = 0;
          let baseRate = 0;
          for (let r = 0; r < runs; r++) {
            await inNetns(host.netns, ['conntrack', '-F']).catch(() => '');
            const ct = spawn(
              'nsenter',
              [`--net=/run/netns/${host.netns}`, 'conntrack', '-E', '-p', 'tcp', '-o', 'timestamp,id'],
              {
                stdio: ['ignore', 'pipe', 'ignore'],
              },
            );
            ct.stdout?.resume();
            await sleep(500);
            const c0 = treeCpuMs(ct.pid as number);
            const l0 = await mixedLoad(lab, seconds);
            base.push(((treeCpuMs(ct.pid as number) - c0) / 1000 / l0.seconds) * 100);
            baseRate += l0.other / l0.seconds / runs;
            ct.kill();
            await inNetns(host.netns, ['conntrack', '-F']).catch(() => '');
            const name = `mix${r}`;
            const c = collector(name);
            await sleep(5000);
            const t0 = treeCpuMs(c.pid);
            const l1 = await mixedLoad(lab, seconds);
            ours.push(((treeCpuMs(c.pid) - t0) / 1000 / l1.seconds) * 100);
            await sleep(3000); // the last events batched, stored and acknowledged
            await c.stop();
            // The hub holds its database exclusively: ask its API.
            const res = await fetch(`http://127.0.0.1:${hub.port}/api/hosts/${name}/sessions?limit=10000`, {
              headers: { authorization: `Bearer ${hub.apiToken}` },
            });
            if (!res.ok) throw new Error(`hub API: HTTP ${res.status}`);
            const list = (await res.json()) as { dataConnections: unknown[] }[];
            sessionsStored += list.length;
            dataStored += list.reduce((n, x) => n + x.dataConnections.length, 0);
            ftpMade += l1.ftp;
            otherRate += l1.other / l1.seconds / runs;
            ctx.log(
              `run ${r + 1}: conntrack -E ${base.at(-1)?.toFixed(1)}% (${Math.round(l0.other / l0.seconds)} other conn/s, ${l0.ftp} FTP), collector ${ours.at(-1)?.toFixed(1)}% (${Math.round(l1.other / l1.seconds)} other conn/s, ${l1.ftp} FTP)`,
            );
          }

          // Holding many FTP sessions: control entries in the table, listed and modelled at start, sent to the hub.
          await inNetns(host.netns, ['conntrack', '-F']).catch(() => '');
          await insertControlEntries(lab, host, 0, big);
          const b = collector('big');
          const samples: number[] = [];
          // The first sync (and the snapshot for the hub) is a burst; V8 gives memory back within a minute or two.
          const sampleFor = ctx.quick ? 20_000 : 150_000;
          for (let t = 0; t < sampleFor; t += 5000) {
            await sleep(5000);
            samples.push(processRssMb(b.pid) ?? 0);
          }
          await b.stop();
          const settled = samples.slice(-6);
          ctx.log(`RSS holding ${big} sessions: ${samples.map((x) => x.toFixed(0)).join(' ')} MB`);
          await inNetns(host.netns, ['conntrack', '-F']).catch(() => '');

          figures.push(
            figure({
              bench: 13,
              name: 'idle collector CPU (% of one core)',
              unit: '%',
              samples: [idleCpu],
              target: '≤ 1%',
              check: (v) => v.median <= 1,
              note: `${how}; over ${settleMs / 1000} s after a ${settleMs / 1000} s start-up`,
            }),
            figure({
              bench: 13,
              name: 'idle collector RSS',
              unit: 'MB',
              samples: [idleRss],
              target: '≤ 60 MB',
              check: (v) => v.median <= 60,
            }),
            figure({
              bench: 13,
              name: `collector CPU, ~${OTHER_RATE} other conn/s + ${FTP_RATE} FTP sessions/s`,
              unit: '%',
              samples: ours,
              baseline: { name: 'conntrack -E -p tcp alone', samples: base },
              target: '≤ 1.0× baseline and ≤ 5% of a core',
              check: (v, r) => r !== null && r <= 1 && v.median <= 5,
              note: `other conn/s reached: ${Math.round(baseRate)} with conntrack -E, ${Math.round(otherRate)} with the collector (2 shared cores: the load generators compete)`,
            }),
            figure({
              bench: 13,
              name: 'FTP sessions / data connections stored, of those made',
              unit: '%',
              samples: [(Math.min(sessionsStored, dataStored) / Math.max(1, ftpMade)) * 100],
              target: 'every one (100%)',
              check: () => sessionsStored >= ftpMade && dataStored >= ftpMade,
              note: `${ftpMade} lftp sessions with one listing each; hub stored ${sessionsStored} sessions and ${dataStored} data connections tied to a session`,
            }),
            figure({
              bench: 13,
              name: `collector RSS holding ${big.toLocaleString('en-US')} FTP sessions`,
              unit: 'MB',
              samples: settled,
              baseline: { name: 'idle RSS', samples: [idleRss] },
              target: big >= 100_000 ? '≤ 120 MB' : '≤ 120 MB (at 100k)',
              check: (v) => v.median <= 120,
              note: `peak ${Math.max(...samples).toFixed(0)} MB during the first sync; the last 30 s of ${sampleFor / 1000} s`,
            }),
          );
          return figures;
        } finally {
          await hub.stop();
          server.kill();
        }
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
