import { run } from './exec.ts';
import type { FtpOptions, FtpResult } from './index.ts';
import { LAB_USER } from './vsftpd.ts';

/**
 * Runs a real FTP client (lftp or curl) inside the client namespace. A blocked data channel makes
 * clients hang or retry for minutes, so every run has short network timeouts and is killed after
 * timeoutMs.
 */

/** What to do in one client run. */
export type FtpAction =
  | { kind: 'login' }
  | { kind: 'ls' }
  | { kind: 'get'; file: string; dest: string }
  | { kind: 'put'; file: string; remoteName: string };

/** Where the client talks to. */
export interface FtpTarget {
  clientNetns: string;
  ip: string;
}

const DEFAULT_TIMEOUT_MS = 8000;

const urlHost = (ip: string) => (ip.includes(':') ? `[${ip}]` : ip);
/** lftp script string quoting: double quotes, with backslash escapes. */
const q = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;

/** The lftp argv for an action. */
export function lftpArgv(action: FtpAction, ip: string, opts: FtpOptions): string[] {
  const user = opts.asUser ? `${LAB_USER.name},${LAB_USER.password}` : 'anonymous,lab@';
  const timeoutS = Math.max(1, Math.floor((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 4000));
  const settings = [
    `set ftp:passive-mode ${opts.mode === 'passive' ? 'on' : 'off'}`,
    // lftp would otherwise switch modes by itself after a failure and hide the problem under test.
    'set ftp:auto-passive-mode off',
    'set ftp:prefer-epsv off',
    `set net:timeout ${timeoutS}`,
    'set net:max-retries 1',
    'set net:reconnect-interval-base 1',
    'set net:persist-retries 0',
    'set cmd:fail-exit yes',
    'set xfer:clobber on',
  ];
  const cmd = (() => {
    switch (action.kind) {
      case 'login':
        return 'quote NOOP';
      case 'ls':
        return 'ls';
      case 'get':
        return `get ${q(action.file)} -o ${q(action.dest)}`;
      case 'put':
        return `put ${q(action.file)} -o ${q(action.remoteName)}`;
    }
  })();
  const script = [...settings, `open -u ${q(user)} ftp://${urlHost(ip)}`, cmd, 'quit'].join('; ');
  return ['lftp', '-c', script];
}

/** The curl argv for an action. */
export function curlArgv(action: FtpAction, ip: string, opts: FtpOptions): string[] {
  const secs = String(Math.max(1, (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000 - 0.5));
  const base = ['curl', '-sS', '--max-time', secs, '--connect-timeout', '3'];
  base.push(
    ...(opts.mode === 'passive' ? ['--ftp-pasv', '--disable-epsv'] : ['--ftp-port', '-', '--disable-eprt']),
  );
  base.push('-u', opts.asUser ? `${LAB_USER.name}:${LAB_USER.password}` : 'anonymous:lab@');
  const url = `ftp://${urlHost(ip)}/`;
  switch (action.kind) {
    case 'login':
      // NOOP after login and no transfer: tests the control channel only.
      return [...base, '-Q', 'NOOP', '--head', url];
    case 'ls':
      return [...base, url];
    case 'get':
      return [...base, '-o', action.dest, `${url}${encodeURIComponent(action.file)}`];
    case 'put':
      return [...base, '-T', action.file, `${url}${encodeURIComponent(action.remoteName)}`];
  }
}

/** Runs one client action from the client namespace and reports how it went. */
export async function runFtp(target: FtpTarget, action: FtpAction, opts: FtpOptions): Promise<FtpResult> {
  const argv = opts.client === 'curl' ? curlArgv(action, target.ip, opts) : lftpArgv(action, target.ip, opts);
  const res = await run(argv, { netns: target.clientNetns, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  return {
    ok: res.code === 0 && !res.timedOut,
    exitCode: res.timedOut ? -1 : res.code,
    stdout: res.stdout,
    stderr: res.timedOut
      ? `${res.stderr}\n(killed after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms)`.trim()
      : res.stderr,
    durationMs: res.durationMs,
  };
}
