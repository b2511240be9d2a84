import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { spkiPin } from '@ftpscope/shared/tls-pin';
import { WEB_DIR } from '../src/layout.ts';
import { buildPackages } from '../src/packages.ts';

/** PATH of a plain Debian root shell: nothing from node_modules, no node. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A temporary directory and its removal. */
export function workDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `ftpscope-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Both packages built from this checkout (UI first, then `pnpm package --fast`: gzip instead of xz, the
 * contents are the same), once per test file into `out`.
 */
export async function buildTestPackages(out: string) {
  // Beside `out`, not into apps/web/dist: other test projects serve dist/ while this one runs.
  const ui = `${out}-ui`;
  const vite = spawnSync(
    join(WEB_DIR, 'node_modules/.bin/vite'),
    ['build', '--logLevel', 'warn', '--outDir', ui, '--emptyOutDir'],
    { cwd: WEB_DIR, encoding: 'utf8' },
  );
  if (vite.status !== 0) throw new Error(`vite build failed:\n${vite.stderr}${vite.stdout}`);
  return buildPackages(out, 'fast', ui);
}

/** Unpacks a .deb's files into `root` (as `dpkg -x`; no maintainer scripts, nothing outside `root`). */
export function unpack(deb: string, root: string): string {
  execFileSync('dpkg-deb', ['-x', deb, root]);
  return root;
}

/**
 * argv that runs `argv` on this machine as if Node.js were not installed: in a private mount namespace every
 * `node` on PATH is covered with /dev/null, and the script refuses to go on if one still runs.
 */
export function withoutNode(argv: string[]): string[] {
  const script = [
    'for n in $(which -a node nodejs 2>/dev/null); do mount --bind /dev/null "$n" || exit 96; done',
    'if node -e 0 2>/dev/null; then echo "a node binary still runs" >&2; exit 97; fi',
    'exec "$@"',
  ].join('\n');
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', ...argv];
}

/** A child process whose output is kept for assertions. */
export class Proc {
  readonly child: ChildProcess;
  out = '';
  readonly exited: Promise<number | null>;

  constructor(argv: string[], env: Record<string, string> = {}) {
    const [file, ...args] = argv;
    this.child = spawn(file as string, args, {
      env: { PATH: SYSTEM_PATH, LANG: 'C.UTF-8', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const keep = (b: Buffer) => {
      this.out += b.toString();
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((done) => this.child.once('exit', (code) => done(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** JSON log lines (pino) printed so far. */
  logs(): Record<string, unknown>[] {
    return this.out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** SIGTERM to the whole process group (wrappers, unshare, node), SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const pid = this.child.pid as number;
    const kill = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig);
      } catch {
        // already gone
      }
    };
    const force = setTimeout(() => kill('SIGKILL'), 5000);
    kill('SIGTERM');
    await this.exited;
    clearTimeout(force);
  }
}

/** Polls until fn returns a truthy value; throws naming what it waited for (and the last error). */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  ms = 30_000,
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
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** The key pin of whatever answers TLS at host:port, read without trusting it. */
export function presentedPin(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, rejectUnauthorized: false }, () => {
      const raw = s.getPeerCertificate().raw;
      s.end();
      resolve(spkiPin(raw));
    });
    s.once('error', reject);
  });
}

/** A key pin of a certificate nobody serves (openssl makes a fresh key). */
export function strangerPin(dir: string): string {
  const cert = join(dir, 'stranger.pem');
  // biome-ignore format: openssl options in pairs
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=stranger', '-keyout', join(dir, 'stranger.key'), '-out', cert,
  ], { stdio: 'ignore' });
  return spkiPin(readFileSync(cert));
}

/** An API call with the Bearer token; throws with the hub's answer on a non-2xx status. */
export async function api<T>(base: string, token: string, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}
