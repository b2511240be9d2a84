import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from './errors.ts';
import type { LabHost } from './index.ts';

/** Where every lab registers itself: <ROOT>/<name>/lab.json (a symlink to the lab's dir if it lives elsewhere). */
export const LABS_ROOT = '/tmp/ftpscope-lab';

/** What a lab persists so the CLI (another process) can find and tear it down. */
export interface LabState {
  name: string;
  index: number;
  dir: string;
  ipv6: boolean;
  status: 'creating' | 'up';
  createdAt: string;
  hosts: (LabHost & { pids: number[] })[];
  client: { netns: string; ip: string; ip6: string | null };
  bridgeNetns: string;
  /** The NAT router, when the lab has one (older state files lack it). */
  router?: { netns: string; helper: boolean } | null;
}

/** Path of a lab's state file. */
export const statePath = (name: string): string => join(LABS_ROOT, name, 'lab.json');

/** Reads a lab's state, or null when it has none. */
export async function readState(name: string): Promise<LabState | null> {
  try {
    return JSON.parse(await readFile(statePath(name), 'utf8')) as LabState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LabError(
      'FTPSCOPE_ERR_LAB_BAD_INPUT',
      `cannot read ${statePath(name)}: ${(err as Error).message}`,
    );
  }
}

/** Writes a lab's state atomically (rename), so a concurrent reader never sees half a file. */
export async function writeState(state: LabState): Promise<void> {
  const path = join(state.dir, 'lab.json');
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, path);
}

/** Every registered lab's state (labs whose state cannot be read are skipped). */
export async function readAllStates(): Promise<LabState[]> {
  let names: string[];
  try {
    names = await readdir(LABS_ROOT);
  } catch {
    return [];
  }
  const states = await Promise.all(
    names.filter((n) => !n.startsWith('.')).map((n) => readState(n).catch(() => null)),
  );
  return states.filter((s): s is LabState => s !== null);
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Runs fn while holding the machine-wide lab lock, so concurrent labs never pick the same index. */
export async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  await mkdir(LABS_ROOT, { recursive: true, mode: 0o755 });
  const lockPath = join(LABS_ROOT, '.lock');
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(await readFile(lockPath, 'utf8').catch(() => ''));
      // A lock left by a crashed process (or an empty one older than the write) must not block forever.
      if (holder > 0 && !isAlive(holder)) await rm(lockPath, { force: true });
      if (Date.now() > deadline) {
        throw new LabError(
          'FTPSCOPE_ERR_LAB_TIMEOUT',
          `lab lock ${lockPath} held by pid ${holder}`,
          'remove it if that process is gone',
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}
