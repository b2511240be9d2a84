import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./hub-process.ts', import.meta.url));

/** A running hub process on loopback with a temp database. */
export interface RunningHub {
  port: number;
  pid: number;
  collectorToken: string;
  apiToken: string;
  dbFile: string;
  stop(): Promise<void>;
}

/**
 * Starts a hub process (see hub-process.ts); `nodeArgs` e.g. ['--cpu-prof'] to profile it; `store` a postgres://
 * URL instead of a temp SQLite file, `hubId` its name among hubs sharing it, `tokens` to reuse another hub's.
 */
export async function startHub(
  opts: {
    nodeArgs?: string[];
    dbFile?: string;
    store?: string;
    hubId?: string;
    tokens?: { collector: string; api: string };
    /** A UI build to serve (bench/lib/browser.ts buildUi); default: apps/web/dist. */
    uiDir?: string;
  } = {},
): Promise<RunningHub> {
  const dir = mkdtempSync(join(tmpdir(), 'ftpscope-bench-hub-'));
  const dbFile = opts.dbFile ?? join(dir, 'hub.db');
  const collectorToken = opts.tokens?.collector ?? randomBytes(12).toString('hex');
  const apiToken = opts.tokens?.api ?? randomBytes(12).toString('hex');
  const child = spawn(
    process.execPath,
    [
      ...(opts.nodeArgs ?? []),
      '--import',
      'tsx',
      SCRIPT,
      opts.store ?? dbFile,
      collectorToken,
      apiToken,
      opts.hubId ?? 'bench-hub',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...(opts.uiDir !== undefined && { BENCH_UI_DIR: opts.uiDir }) },
    },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`hub process exited with ${code} before listening`)));
  });
  return {
    port,
    pid: child.pid as number,
    collectorToken,
    apiToken,
    dbFile,
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
