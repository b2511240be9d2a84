import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import type { Figure } from './figure.ts';

/** Where and when the figures were measured (ratios are comparable across machines, absolutes are not). */
export interface Machine {
  nproc: number;
  cpu: string;
  kernel: string;
  node: string;
  loadavg: string;
  date: string;
}

export interface Results {
  machine: Machine;
  quick: boolean;
  durationS: number;
  figures: Figure[];
  /** Benches that could not run, with the reason. */
  errors: { bench: number; error: string }[];
}

/** Machine facts for the report; load average tells readers how busy the shared machine was. */
export function machineInfo(): Machine {
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {}
  return {
    nproc,
    cpu: cpus()[0]?.model ?? 'unknown',
    kernel: release(),
    node: process.version,
    loadavg: execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' '),
    date: new Date().toISOString(),
  };
}

/** Three significant digits, no exponent for everyday magnitudes. */
export function fmt(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString('en-US');
  return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toPrecision(2);
}

const range = (s: { min: number; max: number }) => `${fmt(s.min)}–${fmt(s.max)}`;
const verdict = (f: Figure) => (f.pass === null ? '' : f.pass ? 'ok' : 'MISS');

/** Rows of the report: one per figure. */
function rows(figures: Figure[]): string[][] {
  return figures.map((f) => [
    String(f.bench),
    f.name,
    `${fmt(f.value.median)} ${f.unit}`,
    range(f.value),
    f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.median)} (${range(f.baseline)})` : '—',
    f.ratio === null ? '—' : `${fmt(f.ratio)}×`,
    f.target,
    verdict(f),
  ]);
}

const HEAD = ['#', 'figure', 'median', 'min–max', 'baseline (same run)', 'ratio', 'target', ''];

/** Plain-text table for the terminal. */
export function textTable(figures: Figure[]): string {
  const all = [HEAD, ...rows(figures)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => (r[i] as string).length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i] as number)).join('  ')).join('\n');
}

/** Markdown report: machine, table, notes and errors. */
export function markdown(res: Results): string {
  const m = res.machine;
  const esc = (s: string) => s.replaceAll('|', '\\|');
  const lines = [
    `Measured ${m.date} on ${m.nproc} × ${m.cpu}, kernel ${m.kernel}, Node ${m.node}, load average ${m.loadavg} at start${res.quick ? ' (**quick mode**: short runs, smaller sizes)' : ''}; ${Math.round(res.durationS)} s in total.`,
    '',
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
    ...rows(res.figures).map((r) => `| ${r.map(esc).join(' | ')} |`),
  ];
  const notes = res.figures.filter((f) => f.note);
  if (notes.length) lines.push('', ...notes.map((f) => `- **${f.bench} ${f.name}**: ${f.note}`));
  if (res.errors.length) lines.push('', ...res.errors.map((e) => `- bench ${e.bench} failed: ${e.error}`));
  return `${lines.join('\n')}\n`;
}

/** Writes results/<name>.json and results/<name>.md next to run.ts. */
export function writeResults(dir: string, res: Results, name: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/${name}.json`, `${JSON.stringify(res, null, 2)}\n`);
  writeFileSync(`${dir}/${name}.md`, markdown(res));
}
