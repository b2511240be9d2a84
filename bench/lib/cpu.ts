import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc times (USER_HZ, 100 on Linux). */
const TICK_MS = 10;

/**
 * CPU time (ms) of this process's reaped children: utime+stime of waited-for children from /proc/self/stat
 * (Node has no getrusage(RUSAGE_CHILDREN)). Resolution 10 ms, so callers sum over enough repetitions.
 */
export function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name (which may contain spaces) start at field 3; cutime/cstime are 16/17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * TICK_MS;
}

/** CPU time (ms) this process used itself, user + system. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Resident set size (MB) of a process by pid (VmRSS); null once it is gone. */
export function processRssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** CPU time (ms) of a process and all its live descendants, including the children each of them reaped. */
export function treeCpuMs(root: number): number {
  let total = 0;
  for (const p of treeCpu(root)) total += p.ms;
  return total;
}

/** CPU time (ms) of the native conntrack reader(s) in a process's tree (a restarted one counts from its start). */
export function readerCpuMs(root: number): number {
  let total = 0;
  for (const p of treeCpu(root)) if (p.comm.startsWith('ftpscope-ctrea')) total += p.ms;
  return total;
}

/** The same per process of the tree: pid, command name, CPU ms (its own plus its reaped children's, `reapedMs`). */
export function treeCpu(root: number): { pid: number; comm: string; ms: number; reapedMs: number }[] {
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  const comm = new Map<number, string>();
  const reaped = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(f[1]));
      comm.set(Number(name), stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
      reaped.set(Number(name), (Number(f[13]) + Number(f[14])) * TICK_MS);
      cpu.set(Number(name), (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS);
    } catch {} // gone while we looked
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parent.get(p))
      if (p === root) return true;
    return false;
  };
  const out: { pid: number; comm: string; ms: number; reapedMs: number }[] = [];
  for (const [pid, ms] of cpu)
    if (inTree(pid)) out.push({ pid, comm: comm.get(pid) ?? '?', ms, reapedMs: reaped.get(pid) ?? 0 });
  return out;
}

/**
 * CPU time (ms) of a process's threads, user and system apart: its main thread ("main user", "main system") and
 * the others (V8's and libuv's: "other user", "other system").
 */
export function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // gone
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = tid === String(pid) ? 'main' : 'other';
      for (const [kind, ticks] of [
        ['user', f[11]],
        ['system', f[12]],
      ] as const)
        out.set(`${name} ${kind}`, (out.get(`${name} ${kind}`) ?? 0) + Number(ticks) * TICK_MS);
    } catch {} // ended while we looked
  }
  return out;
}
