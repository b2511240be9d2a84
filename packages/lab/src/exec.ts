import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LabError } from './errors.ts';

/** Debian package that provides each binary the lab runs, for "missing binary" errors. */
export const APT_PACKAGE: Record<string, string> = {
  ip: 'iproute2',
  ss: 'iproute2',
  iptables: 'iptables',
  'iptables-save': 'iptables',
  'iptables-restore': 'iptables',
  ip6tables: 'iptables',
  'ip6tables-restore': 'iptables',
  nft: 'nftables',
  conntrack: 'conntrack',
  vsftpd: 'vsftpd',
  lftp: 'lftp',
  curl: 'curl',
  busybox: 'busybox',
  unshare: 'util-linux',
  useradd: 'passwd',
  chpasswd: 'passwd',
};

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** True when the process was killed because it ran past its timeout. */
  timedOut: boolean;
  durationMs: number;
}

export interface RunOptions {
  /** Run inside this network namespace (via `ip netns exec`, which execs the command: no shell). */
  netns?: string;
  input?: string;
  /** Kill the process (SIGKILL) after this many ms; default 30000. */
  timeoutMs?: number;
}

/** Full path of a binary on PATH (plus the sbin dirs root expects), or null. */
export function which(bin: string): string | null {
  if (bin.includes('/')) {
    try {
      accessSync(bin, constants.X_OK);
      return bin;
    } catch {
      return null;
    }
  }
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const full = join(dir, bin);
    try {
      accessSync(full, constants.X_OK);
      return full;
    } catch {}
  }
  return null;
}

/** Throws a clear error naming the Debian package when a binary is missing. */
export function requireBinaries(bins: string[]): void {
  const missing = bins.filter((b) => which(b) === null);
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((b) => APT_PACKAGE[b] ?? b))];
  throw new LabError(
    'FTPSCOPE_ERR_LAB_MISSING_BINARY',
    `missing ${missing.join(', ')}`,
    `install with: apt-get install -y ${pkgs.join(' ')}`,
  );
}

/** Throws unless running as root: namespaces, links and firewall rules need it. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new LabError(
      'FTPSCOPE_ERR_LAB_NOT_ROOT',
      'the lab must run as root',
      'run it with sudo or as root',
    );
  }
}

/** Runs argv (no shell), optionally in a namespace; never rejects because of the exit code. */
export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const full = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...argv] : argv;
  const [cmd, ...args] = full as [string, ...string[]];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ENOENT') {
        try {
          requireBinaries([cmd]);
        } catch (e) {
          reject(e);
          return;
        }
      }
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout,
        stderr,
        timedOut,
        durationMs: Date.now() - started,
      });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Like run, but throws a LabError with the command's stderr when it exits non-zero. */
export async function runOk(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const res = await run(argv, opts);
  if (res.code !== 0) {
    const where = opts.netns ? ` in ${opts.netns}` : '';
    const why = res.timedOut ? 'timed out' : res.stderr.trim() || res.stdout.trim() || `exit ${res.code}`;
    throw new LabError('FTPSCOPE_ERR_LAB_COMMAND_FAILED', `\`${argv.join(' ')}\`${where} failed: ${why}`);
  }
  return res;
}
