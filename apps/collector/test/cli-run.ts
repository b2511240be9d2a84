import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const TSX = resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');
const MAIN = resolve(import.meta.dirname, '../src/main.ts');

/** What a collector CLI run gave. */
export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the collector CLI as users do (tsx main.ts …), with a clean FTPSCOPE_* environment. */
export function collector(
  args: string[],
  opts: { env?: Record<string, string>; onStart?: (c: ChildProcess) => void } = {},
) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FTPSCOPE_')));
  return new Promise<Run>((done) => {
    const child = spawn(TSX, [MAIN, ...args], {
      env: { ...env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
    opts.onStart?.(child);
  });
}
