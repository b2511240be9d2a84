/**
 * `pnpm bench [--quick] [--only N[,M]]`: runs the benchmarks of issue 7, prints the table on stdout, writes
 * bench/results/latest.json and latest.md (quick.json and quick.md with --quick). Progress goes to stderr. Benchmarks report; they never fail on a
 * missed target (exit 1 only when a bench could not run at all).
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleCollector } from '@ftpscope/packaging/bundle';
import { buildInfo } from '@ftpscope/shared/build-info';
import { BENCHES } from './benches/index.ts';
import type { Figure } from './lib/figure.ts';
import { machineInfo, type Results, textTable, writeResults } from './lib/report.ts';

const HELP = `pnpm bench [--quick] [--only N[,N...]]
  --quick   short smoke run (small sizes, few runs; ~2 min)
  --only    run only these benches (numbers as in docs/benchmarks.md), e.g. --only 1,3; the other
            benches' figures of the previous report are kept
Needs root (labs in network namespaces) and chromium for benches 5 and 7 (apt-get install chromium).`;

const COLLECTOR_DIR = fileURLToPath(new URL('../apps/collector/', import.meta.url));

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const only = new Set((values.only ?? []).flatMap((s) => s.split(',')).map(Number));
  const unknown = [...only].filter((n) => !BENCHES.some((b) => b.id === n));
  if (unknown.length) {
    process.stderr.write(`unknown bench ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.id)}\n`);
    return 2;
  }
  if (process.getuid?.() !== 0) process.stderr.write('warning: not root; the lab benches will fail\n');
  const started = Date.now();
  const res: Results = { machine: machineInfo(), quick: values.quick, durationS: 0, figures: [], errors: [] };
  const tag = randomBytes(2).toString('hex');
  const bundleDir = await collectorBundle();
  for (const b of BENCHES.filter((x) => only.size === 0 || only.has(x.id))) {
    const t0 = Date.now();
    const log = (msg: string) => process.stderr.write(`[bench ${b.id}] ${msg}\n`);
    log(`${b.title}…`);
    try {
      const figs: Figure[] = await b.run({ quick: values.quick, log, tag: `${tag}${b.id}` });
      res.figures.push(...figs);
      log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    } catch (e) {
      const error = (e as Error).stack ?? String(e);
      res.errors.push({ bench: b.id, error: (e as Error).message });
      log(`FAILED: ${error}`);
    }
  }
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  const tookS = (Date.now() - started) / 1000;
  res.durationS = tookS;
  const dir = fileURLToPath(new URL('./results', import.meta.url));
  // A --quick smoke run (the CI test) never overwrites the figures of a real run.
  const name = values.quick ? 'quick' : 'latest';
  if (only.size > 0) keepOthers(res, `${dir}/${name}.json`, only);
  writeResults(dir, res, name);
  process.stdout.write(`${textTable(res.figures)}\n`);
  for (const e of res.errors) process.stdout.write(`bench ${e.bench} failed: ${e.error}\n`);
  process.stderr.write(
    `results: bench/results/${name}.json, ${name}.md (this run: ${Math.round(tookS)} s)\n`,
  );
  return res.errors.length ? 1 : 0;
}

/**
 * The collector the benches run, as it ships: bundled from this checkout now (a bundle left in
 * apps/collector/dist by an earlier `pnpm build` may be older than the source), with the native reader beside
 * it as the package has it (the bundle looks for it there; without it, it would read with the conntrack tool).
 * FTPSCOPE_BENCH_COLLECTOR names another bundle instead. Returns the directory to remove afterwards.
 */
async function collectorBundle(): Promise<string | null> {
  if (process.env.FTPSCOPE_BENCH_COLLECTOR) return null;
  const dir = mkdtempSync(join(tmpdir(), 'ftpscope-bench-collector-'));
  const info = { ...buildInfo(new URL(`file://${join(COLLECTOR_DIR, 'package.json')}`)), commit: 'bench' };
  process.env.FTPSCOPE_BENCH_COLLECTOR = await bundleCollector(info, dir);
  const reader = join(COLLECTOR_DIR, 'native/build/ftpscope-ctreader');
  if (existsSync(reader)) copyFileSync(reader, join(dir, 'ftpscope-ctreader'));
  return dir;
}

/**
 * With --only, the other benches' figures of the previous report (same mode) are kept, so re-running one
 * bench updates the report instead of emptying it. Each figure's baseline still comes from its own run.
 */
function keepOthers(res: Results, file: string, only: Set<number>): void {
  if (!existsSync(file)) return;
  const prev = JSON.parse(readFileSync(file, 'utf8')) as Results;
  if (prev.quick !== res.quick) return;
  const kept = prev.figures.filter((f) => !only.has(f.bench));
  res.figures = [...kept, ...res.figures].sort((a, b) => a.bench - b.bench);
  res.errors = [...prev.errors.filter((e) => !only.has(e.bench)), ...res.errors];
  res.durationS += prev.durationS;
}

process.exitCode = await main();
