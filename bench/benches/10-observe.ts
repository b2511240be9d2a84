import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '@ftpscope/lab';
import { startCollector } from '../lib/collector.ts';
import { treeCpuMs } from '../lib/cpu.ts';
import type { Bench } from '../lib/figure.ts';
import { figure } from '../lib/figure.ts';
import { startHub } from '../lib/hub.ts';
import { withLab } from '../lib/lab.ts';

const SESSIONS = 4;
/**
 * Connection attempts per second the "broken" part of the mix sends to closed ports: all dropped by the INPUT
 * policy, each retried by the kernel (about 3 SYNs each), traced up to the table's limit (25/s, burst 50).
 */
const BAD_PER_S = 20;

/** Python in the client namespace: `rate` non-blocking connects per second to closed high ports, for `secs`. */
const blocked = (ip: string, rate: number, secs: number) => `
import socket, time, random
end = time.time() + ${secs}
socks = []
while time.time() < end:
    s = socket.socket(); s.setblocking(False)
    try: s.connect(('${ip}', random.randint(45000, 46000)))
    except BlockingIOError: pass
    socks.append(s)
    if len(socks) > 200: socks.pop(0).close()
    time.sleep(1 / ${rate})
`;

/** The mixed load: passive listings that work (RELATED) plus SYNs the INPUT policy drops (NEW); returns listings/s. */
async function mixedLoad(lab: Lab, n: number): Promise<number> {
  const ip = lab.host('ftp1').ip;
  const script = [
    'set ftp:passive-mode on',
    'set cache:enable no',
    `open -u anonymous,lab@ ftp://${ip}`,
    ...Array<string>(n).fill('cls > /dev/null'),
    'quit',
  ].join('; ');
  const t0 = performance.now();
  const secs = Math.max(5, Math.round(n / 100));
  const [res] = await Promise.all([
    Promise.all(Array.from({ length: SESSIONS }, () => lab.exec('client', ['lftp', '-c', script]))),
    lab.exec('client', ['python3', '-c', blocked(ip, BAD_PER_S, secs)]),
  ]);
  const failed = res.find((r) => r.code !== 0);
  if (failed) throw new Error(`lftp failed: ${failed.stderr.slice(0, 300)}`);
  return (SESSIONS * n) / ((performance.now() - t0) / 1000);
}

/**
 * 10. The observation table's cost: the same mixed load (passive listings with the helper, plus SYNs to
 * closed ports that the policy drops and the table traces) with the real collector, `--observe off` and
 * `--observe on` alternating. Collector CPU = its process tree (node, conntrack -E, nft monitor trace, polls).
 */
export const observeCost: Bench = {
  id: 10,
  title: 'observation table (table inet ftpscope + nft monitor trace) under mixed load vs --observe off',
  async run(ctx) {
    const n = ctx.quick ? 100 : 600;
    const runs = ctx.quick ? 1 : 3;
    const dir = mkdtempSync(join(tmpdir(), 'ftpscope-bench-observe-'));
    try {
      return await withLab({ name: `o${ctx.tag}`, hosts: 1, profile: 'healthy' }, async (lab) => {
        const host = lab.host('ftp1');
        const hub = await startHub({ dbFile: join(dir, 'hub.db') });
        const cpu: Record<'on' | 'off', number[]> = { on: [], off: [] };
        const rate: Record<'on' | 'off', number[]> = { on: [], off: [] };
        try {
          for (let r = 0; r < runs; r++) {
            for (const observe of ['off', 'on'] as const) {
              const collector = startCollector([
                ...['--hub', `ws://127.0.0.1:${hub.port}`, '--token', hub.collectorToken],
                ...[
                  '--name',
                  `obs${observe}`,
                  '--netns',
                  host.netns,
                  '--spool',
                  join(dir, `spool${r}${observe}`),
                ],
                ...['--vsftpd-conf', host.vsftpdConf, '--log-level', 'warn', '--observe', observe],
              ]);
              try {
                await new Promise((res) => setTimeout(res, 3000));
                const c0 = treeCpuMs(collector.pid);
                const t0 = performance.now();
                rate[observe].push(await mixedLoad(lab, n));
                const seconds = (performance.now() - t0) / 1000;
                cpu[observe].push(((treeCpuMs(collector.pid) - c0) / 1000 / seconds) * 100);
              } finally {
                await collector.stop();
              }
              ctx.log(
                `run ${r + 1} observe ${observe}: ${Math.round(rate[observe].at(-1) ?? 0)} listings/s, collector ${cpu[observe].at(-1)?.toFixed(1)}% CPU`,
              );
            }
          }
        } finally {
          await hub.stop();
        }
        const note = `${SESSIONS} lftp sessions × ${n} passive listings (RELATED: not traced) + ${BAD_PER_S} SYN/s to closed ports (NEW, dropped: traced)`;
        return [
          figure({
            bench: 10,
            name: 'collector CPU with the observation table (% of one core)',
            unit: '%',
            samples: cpu.on,
            baseline: { name: 'same load, --observe off', samples: cpu.off },
            target: '≤ +5 points of a core',
            // on − off = median − median/ratio.
            check: (v, ratio) => ratio !== null && v.median - v.median / ratio <= 5,
            note,
          }),
          figure({
            bench: 10,
            name: 'passive listings/s with the observation table',
            unit: 'conn/s',
            samples: rate.on,
            baseline: { name: 'same load, --observe off', samples: rate.off },
            target: '≥ 0.95× baseline',
            check: (_v, ratio) => ratio !== null && ratio >= 0.95,
          }),
        ];
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
