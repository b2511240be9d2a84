import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BENCHES } from './benches/index.ts';
import type { Results } from './lib/report.ts';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

describe('pnpm bench --quick', () => {
  it('runs every benchmark and writes a report with a figure and a baseline per bench', async () => {
    const { stdout } = await run('pnpm', ['bench', '--quick'], {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 590_000,
    });
    const res = JSON.parse(readFileSync(new URL('./results/quick.json', import.meta.url), 'utf8')) as Results;
    expect(res.errors).toEqual([]);
    expect(res.quick).toBe(true);
    expect(new Set(res.figures.map((f) => f.bench))).toEqual(new Set(BENCHES.map((b) => b.id)));
    for (const f of res.figures) expect(Number.isFinite(f.value.median), f.name).toBe(true);
    expect(res.figures.filter((f) => f.baseline !== null).length).toBeGreaterThan(5);
    expect(stdout).toContain('baseline (same run)');
    expect(readFileSync(new URL('./results/quick.md', import.meta.url), 'utf8')).toContain(res.machine.cpu);
  });
});
