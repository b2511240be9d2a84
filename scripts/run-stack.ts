import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Shared plumbing of `pnpm start` and `pnpm demo`: build the UI, start a hub, start collectors, stop it all. */

const ROOT = resolve(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

export interface Stack {
  url: string;
  apiToken: string;
  collectorToken: string;
  port: number;
  children: ChildProcess[];
}

/** Builds the UI when dist/ is missing or older than the newest UI source. */
export function buildUiIfNeeded(): void {
  const dist = join(ROOT, 'apps/web/dist/index.html');
  if (existsSync(dist) && statSync(dist).mtimeMs > newestMtime(join(ROOT, 'apps/web/src/ui'))) return;
  console.error('ftpscope: building the UI (apps/web/dist)…');
  const r = spawnSync('pnpm', ['--filter', '@ftpscope/web', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('UI build failed: run `pnpm --filter @ftpscope/web build` to see why');
}

function newestMtime(dir: string): number {
  let newest = 0;
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else newest = Math.max(newest, s.mtimeMs);
    }
  };
  if (existsSync(dir)) walk(dir);
  return newest;
}

/** Tokens are generated once per data dir and kept, so the printed URL stays valid across restarts. */
function tokens(dataDir: string): { apiToken: string; collectorToken: string } {
  const file = join(dataDir, 'tokens.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const t = {
    apiToken: randomBytes(18).toString('base64url'),
    collectorToken: randomBytes(18).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(t), { mode: 0o600 });
  return t;
}

/** Starts the hub on 127.0.0.1 and waits for /api/health. */
export async function startHub(dataDir: string, port: number): Promise<Stack> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { apiToken, collectorToken } = tokens(dataDir);
  const hub = spawn(TSX, [join(ROOT, 'apps/web/src/server/main.ts'), '--listen', `127.0.0.1:${port}`], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      FTPSCOPE_DB: join(dataDir, 'ftpscope.db'),
      FTPSCOPE_API_TOKEN: apiToken,
      FTPSCOPE_COLLECTOR_TOKEN: collectorToken,
      FTPSCOPE_LOG_LEVEL: process.env.FTPSCOPE_LOG_LEVEL ?? 'warn',
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (hub.exitCode !== null)
      throw new Error(`the hub exited with status ${hub.exitCode} (see its log above)`);
    const ok = await fetch(`${url}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, apiToken, collectorToken, port, children: [hub] };
    await new Promise((r) => setTimeout(r, 200));
  }
  hub.kill('SIGTERM');
  throw new Error(`the hub did not answer on ${url}/api/health within 30 s`);
}

/** Starts one collector streaming to the stack's hub; extra args select the namespace, name, logs… */
export function startCollector(stack: Stack, dataDir: string, args: string[]): ChildProcess {
  const child = spawn(
    TSX,
    [
      join(ROOT, 'apps/collector/src/main.ts'),
      '--hub',
      `ws://127.0.0.1:${stack.port}`,
      '--spool',
      join(dataDir, 'collector-spool'),
      ...args,
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        FTPSCOPE_TOKEN: stack.collectorToken,
        FTPSCOPE_LOG_LEVEL: process.env.FTPSCOPE_LOG_LEVEL ?? 'warn',
      },
    },
  );
  stack.children.push(child);
  return child;
}

/** Stops every child (collectors first, so their last batches reach the hub) and waits for them. */
export async function stopStack(stack: Stack): Promise<void> {
  const [hub, ...collectors] = stack.children;
  await Promise.all(collectors.map(stop));
  if (hub) await stop(hub);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.kill('SIGTERM');
  });
}

/** Prints where to look, with a link that logs the browser in once. */
export function printWelcome(stack: Stack, extra: string[] = []): void {
  const lines = [
    '',
    `ftpscope is running: ${stack.url}/?token=${stack.apiToken}`,
    `API token (Authorization: Bearer …): ${stack.apiToken}`,
    `API docs: ${stack.url}/docs`,
    ...extra,
    'Ctrl-C stops everything.',
    '',
  ];
  console.log(lines.join('\n'));
}

/** Runs `body` until SIGINT/SIGTERM, then `cleanup` once. */
export function untilSignal(cleanup: () => Promise<void>): void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    console.error('\nftpscope: stopping…');
    cleanup().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`ftpscope: cleanup failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export const DATA_DIR = join(ROOT, 'data');
