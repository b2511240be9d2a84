import { readFile, readlink } from 'node:fs/promises';
import type { Exec } from '../host-monitor.types.ts';
import { parseSsListeners } from './ss-parse.ts';

/** The process found listening on a control port: its executable and command line. */
export interface ListeningProcess {
  port: number;
  pid: number;
  exe: string;
  argv: string[];
}

/**
 * Finds which process listens on the first of `ports` that has a listener (IPv4 sockets first: the lab and
 * most hosts run one server per port). Null when nothing listens or `ss` cannot name processes (it needs
 * root or CAP_NET_ADMIN plus read access to other users' /proc/PID/fd); `why` says which.
 */
export async function findListeningProcess(
  exec: Exec,
  ports: number[],
): Promise<{ found: ListeningProcess | null; why: string | null }> {
  const res = await exec('ss', ['-Hltnp'], { timeoutMs: 5000 });
  if (res.code !== 0)
    return { found: null, why: `ss -Hltnp failed: ${res.stderr.trim() || `exit ${res.code}`}` };
  const listeners = parseSsListeners(res.stdout);
  for (const port of ports) {
    const here = listeners
      .filter((l) => l.port === port)
      .sort((a, b) => Number(a.address.includes(':')) - Number(b.address.includes(':')));
    if (here.length === 0) continue;
    const proc = here.flatMap((l) => l.processes)[0];
    if (!proc)
      return { found: null, why: `ss shows a listener on port ${port} but not its process (not root?)` };
    const exe = await readlink(`/proc/${proc.pid}/exe`).catch(() => proc.name);
    const argv = (await readFile(`/proc/${proc.pid}/cmdline`, 'utf8').catch(() => ''))
      .split('\0')
      .filter((a) => a !== '');
    return { found: { port, pid: proc.pid, exe, argv }, why: null };
  }
  return { found: null, why: `nothing listens on port ${ports.join(', ')}` };
}

/**
 * Whether the process found listening before still runs as the same program: its pid alive with the same
 * executable and command line (a pid reused by another program fails this). Two small /proc reads, where
 * `ss -p` walks every process's file descriptors.
 */
export async function stillRunning(proc: ListeningProcess): Promise<boolean> {
  try {
    const [exe, cmdline] = await Promise.all([
      readlink(`/proc/${proc.pid}/exe`),
      readFile(`/proc/${proc.pid}/cmdline`, 'utf8'),
    ]);
    const argv = cmdline.split('\0').filter((a) => a !== '');
    return exe === proc.exe && argv.length === proc.argv.length && argv.every((a, i) => a === proc.argv[i]);
  } catch {
    return false;
  }
}
