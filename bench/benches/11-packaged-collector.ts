import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCollector } from '@ftpscope/packaging/bundle';
import { buildPackages } from '@ftpscope/packaging/packages';
import { buildInfo } from '@ftpscope/shared/build-info';
import { processRssMb } from '../lib/cpu.ts';
import type { Bench, Figure } from '../lib/figure.ts';
import { figure } from '../lib/figure.ts';
import { startHub } from '../lib/hub.ts';
import { withLab } from '../lib/lab.ts';

const COLLECTOR_DIR = fileURLToPath(new URL('../../apps/collector/', import.meta.url));
const MAIN = join(COLLECTOR_DIR, 'src/main.ts');

/** How the collector runs: as packaged (its bundle on the Node binary the package copies) or from source. */
type Variant = { name: string; argv: (args: string[]) => string[] };

/** One start: ms until it logged "connected to the hub", and its RSS after `idleMs` of idling. */
function startOnce(
  v: Variant,
  args: string[],
  idleMs: number,
): Promise<{ connectMs: number; rssMb: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const [file, ...rest] = v.argv(args);
    const child = spawn(file as string, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let connectMs = -1;
    const fail = (why: string) => {
      child.kill('SIGKILL');
      reject(new Error(`${v.name}: ${why}\n${err.slice(-2000)}`));
    };
    const timer = setTimeout(() => fail('did not connect within 60 s'), 60_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (connectMs >= 0 || !err.includes('"connected to the hub"')) return;
      connectMs = performance.now() - t0;
      clearTimeout(timer);
      setTimeout(() => {
        const rssMb = processRssMb(child.pid as number);
        child.once('exit', () =>
          rssMb === null ? fail('gone before RSS was read') : resolve({ connectMs, rssMb }),
        );
        child.kill('SIGTERM');
      }, idleMs);
    });
    child.once('exit', (code) => {
      if (connectMs < 0) fail(`exited with ${code}`);
    });
  });
}

/** Wall time of `--version` (process start, load, exit). */
function versionMs(v: Variant): number {
  const t0 = performance.now();
  const [file, ...rest] = v.argv(['--version']);
  const r = spawnSync(file as string, rest, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${v.name} --version: ${r.stderr}`);
  return performance.now() - t0;
}

/**
 * 11. The collector as the package runs it (its esbuild bundle on the Node binary it ships) against the same
 * collector from source through tsx, the only way it ran before: RSS after connecting and idling on a quiet lab
 * host, time to "connected to the hub", and `--version`. The full run also builds both packages with xz and
 * reports their sizes.
 */
export const packagedCollector: Bench = {
  id: 11,
  title: 'packaged collector: memory, start time, package sizes',
  async run(ctx) {
    const runs = ctx.quick ? 2 : 5;
    const idleMs = ctx.quick ? 3000 : 15_000;
    const work = mkdtempSync(join(tmpdir(), 'ftpscope-bench-pkg-'));
    const info = { ...buildInfo(new URL(`file://${join(COLLECTOR_DIR, 'package.json')}`)), commit: 'bench' };
    const bundle = await bundleCollector(info, join(work, 'lib'));
    const packaged: Variant = { name: 'bundle', argv: (a) => [process.execPath, bundle, ...a] };
    const source: Variant = { name: 'tsx', argv: (a) => [process.execPath, '--import', 'tsx', MAIN, ...a] };
    const hub = await startHub();
    try {
      const samples = await withLab(
        { name: `b11${ctx.tag}`.slice(0, 8), hosts: 1, profile: 'healthy' },
        async (lab) => {
          const h = lab.host('ftp1');
          const out = {
            bundle: [] as { connectMs: number; rssMb: number }[],
            tsx: [] as { connectMs: number; rssMb: number }[],
          };
          for (let i = 0; i < runs; i++) {
            for (const v of [packaged, source]) {
              // biome-ignore format: flag and value in pairs
              const args = [
              '--hub', `ws://127.0.0.1:${hub.port}`, '--token', hub.collectorToken, '--netns', h.netns,
              '--name', `b11-${v.name}`, '--spool', join(work, `spool-${v.name}-${i}`), '--log-level', 'info',
            ];
              out[v.name as 'bundle' | 'tsx'].push(await startOnce(v, args, idleMs));
            }
          }
          return out;
        },
      );
      const version = { bundle: [] as number[], tsx: [] as number[] };
      for (let i = 0; i < runs; i++) {
        version.bundle.push(versionMs(packaged));
        version.tsx.push(versionMs(source));
      }
      ctx.log(
        `RSS bundle ${samples.bundle.map((s) => s.rssMb.toFixed(0)).join('/')} MB, tsx ${samples.tsx.map((s) => s.rssMb.toFixed(0)).join('/')} MB`,
      );
      const figures: Figure[] = [
        figure({
          bench: 11,
          name: `collector RSS idle (${idleMs / 1000} s after connecting, quiet lab host)`,
          unit: 'MB',
          samples: samples.bundle.map((s) => s.rssMb),
          baseline: { name: 'same collector from source (tsx)', samples: samples.tsx.map((s) => s.rssMb) },
          target: '≤ 60 MB',
          check: (v) => v.median <= 60,
          note: "bundle + this machine's Node binary, as the package runs them",
        }),
        figure({
          bench: 11,
          name: 'collector start → connected to the hub',
          unit: 'ms',
          samples: samples.bundle.map((s) => s.connectMs),
          baseline: { name: 'from source (tsx)', samples: samples.tsx.map((s) => s.connectMs) },
          target: '< 1× tsx',
          check: (_, r) => r !== null && r < 1,
        }),
        figure({
          bench: 11,
          name: 'collector --version',
          unit: 'ms',
          samples: version.bundle,
          baseline: { name: 'from source (tsx)', samples: version.tsx },
          target: '< 1× tsx',
          check: (_, r) => r !== null && r < 1,
        }),
      ];
      if (!ctx.quick) {
        ctx.log('building both packages with xz (a few minutes)…');
        const built = await buildPackages(join(work, 'dist'), 'xz');
        for (const [name, file] of [
          ['ftpscope-collector .deb', built.collector.deb],
          ['ftpscope-hub .deb (carries the collector packages)', built.hub.deb],
        ] as const) {
          figures.push(
            figure({
              bench: 11,
              name: `${name} size`,
              unit: 'MB',
              samples: [statSync(file).size / 1024 / 1024],
              target: 'context',
            }),
          );
        }
      }
      return figures;
    } finally {
      await hub.stop();
      rmSync(work, { recursive: true, force: true });
    }
  },
};
