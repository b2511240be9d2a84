import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from './errors.ts';
import { run } from './exec.ts';

/** Where scripts/setup-ftp-servers.sh extracts ProFTPD and Pure-FTPd (they cannot be installed beside vsftpd). */
export const LAB_SERVERS_DIR = process.env.FTPSCOPE_LAB_SERVERS ?? '/opt/ftpscope-lab';

/** Full path of an extracted server binary; a clear error when setup has not extracted it. */
export function extractedBinary(name: string): string {
  const path = join(LAB_SERVERS_DIR, 'usr/sbin', name);
  if (!existsSync(path)) {
    throw new LabError(
      'FTPSCOPE_ERR_LAB_MISSING_BINARY',
      `missing ${path}`,
      'run `bash scripts/setup-ftp-servers.sh` (part of scripts/setup.sh) to extract ProFTPD and Pure-FTPd',
    );
  }
  return path;
}

/** Starts argv detached inside a namespace (`ip netns exec` execs it, so the pid is the program's own). */
export function spawnInNetns(netns: string, argv: string[], what: string): number {
  const child = spawn('ip', ['netns', 'exec', netns, ...argv], { detached: true, stdio: 'ignore' });
  if (child.pid === undefined)
    throw new LabError('FTPSCOPE_ERR_LAB_COMMAND_FAILED', `cannot start ${what} in ${netns}`);
  child.unref();
  return child.pid;
}

/** Waits until `port` has at least `count` listening sockets in the namespace. */
export async function waitListening(netns: string, port: number, count: number, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const res = await run(['ss', '-Hltn', `sport = :${port}`], { netns });
    if (res.stdout.trim().split('\n').filter(Boolean).length >= count) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new LabError(
    'FTPSCOPE_ERR_LAB_COMMAND_FAILED',
    `${what} did not start listening on port ${port} in ${netns}`,
    'run its command from the lab dir by hand to see its error',
  );
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stops processes (SIGTERM, then SIGKILL after 3 s) and waits until they are gone. */
export async function stopPids(pids: number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
  }
  for (let i = 0; i < 60 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  for (let i = 0; i < 40 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
}

/** Waits until nothing listens on `port` in the namespace any more (a restarted server can bind again). */
export async function waitFreed(netns: string, port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await run(['ss', '-Hltn', `sport = :${port}`], { netns });
    if (res.stdout.trim() === '') return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
