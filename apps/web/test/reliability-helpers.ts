import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Repository root: children run from here so `--import tsx` resolves. */
export const ROOT = resolve(import.meta.dirname, '../../..');
export const HUB_MAIN = join(ROOT, 'apps/web/src/server/main.ts');
export const COLLECTOR_MAIN = join(ROOT, 'apps/collector/src/main.ts');

/**
 * Every child runs as ONE node process (`node --import tsx FILE`): the `tsx` CLI forks a second process and
 * cannot relay SIGKILL, so `kill -9` of the CLI would leave the real server running.
 */
export function tsxArgv(file: string, args: string[]): string[] {
  return ['--import', 'tsx', file, ...args];
}

/**
 * Builds the UI into `outDir` and returns it: each test serves its own build, since other test projects serve
 * apps/web/dist while this one runs (a build into dist/ empties it under them).
 */
export function buildUi(outDir: string): string {
  const web = join(ROOT, 'apps/web');
  const build = spawnSync(
    join(web, 'node_modules/.bin/vite'),
    ['build', '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'],
    { cwd: web, encoding: 'utf8' },
  );
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stderr}${build.stdout}`);
  return outDir;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until fn returns a truthy value; throws naming what it waited for. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  ms = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** A free loopback TCP port (the hub restarts on the same one, so it cannot be ephemeral). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => done(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** A temp dir and its cleanup. */
export function workDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `ftpscope-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A child process with its output kept (for assertions on logs) and helpers to stop or kill it. */
export class Child {
  readonly proc: ChildProcess;
  out = '';
  err = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(file: string, args: string[], env: Record<string, string>, cwd = ROOT) {
    this.proc = spawn(process.execPath, tsxArgv(file, args), {
      cwd,
      env: { ...process.env, NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout?.on('data', (b: Buffer) => {
      this.out += b.toString();
    });
    this.proc.stderr?.on('data', (b: Buffer) => {
      this.err += b.toString();
    });
    this.exited = new Promise((done) => this.proc.once('exit', (code, signal) => done({ code, signal })));
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Resident set size in KiB, from /proc. */
  rssKb(): number {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    return Number(m?.[1] ?? 0);
  }

  /** SIGKILL: no exit handlers, no flush, no graceful close. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const force = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    this.proc.kill('SIGTERM');
    await this.exited;
    clearTimeout(force);
  }
}

export interface HubProcess extends Child {
  url: string;
  port: number;
}

/** `pnpm hub` as a real child process on 127.0.0.1:port (plus browserHost) with its own SQLite file (or --store); resolves once healthy. */
export async function startHub(o: {
  port: number;
  /**
   * Also serve a browser here (a workstation's hubIp): the hub takes TLS there (self-signed, tls/ beside --db),
   * and the browser opens https://<browserHost>:<port>; `url` stays plain HTTP on 127.0.0.1 (--plain-listen).
   */
  browserHost?: string;
  /** SQLite file (--db), or give `store`. */
  db?: string;
  /** --store value (e.g. a postgres:// URL). */
  store?: string;
  apiToken: string;
  collectorToken?: string;
  tokensFile?: string;
  logLevel?: string;
  extraArgs?: string[];
  env?: Record<string, string>;
}): Promise<HubProcess> {
  const where = o.store !== undefined ? ['--store', o.store] : ['--db', o.db ?? 'data/ftpscope.db'];
  const listen = o.browserHost
    ? ['--listen', `${o.browserHost}:${o.port}`, '--plain-listen', `127.0.0.1:${o.port}`]
    : ['--listen', `127.0.0.1:${o.port}`];
  const args = [...listen, ...where, ...(o.extraArgs ?? [])];
  const env: Record<string, string> = {
    FTPSCOPE_API_TOKEN: o.apiToken,
    FTPSCOPE_LOG_LEVEL: o.logLevel ?? 'warn',
    ...(o.collectorToken !== undefined && { FTPSCOPE_COLLECTOR_TOKEN: o.collectorToken }),
    ...(o.tokensFile !== undefined && { FTPSCOPE_TOKENS: o.tokensFile }),
    ...o.env,
  };
  const hub = new Child(HUB_MAIN, args, env) as HubProcess;
  hub.port = o.port;
  hub.url = `http://127.0.0.1:${o.port}`;
  try {
    await until(
      'the hub to answer /api/health',
      async () => {
        if (!hub.running) throw new Error(`hub exited: ${hub.err}`);
        return (await fetch(`${hub.url}/api/health`)).ok;
      },
      30_000,
    );
  } catch (err) {
    // The caller never gets the hub to stop: a hub that never answered must not outlive the test.
    await hub.kill9();
    throw err;
  }
  return hub;
}

/** GET a JSON API path with the API token. */
export async function api<T>(base: string, path: string, token: string): Promise<T> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
