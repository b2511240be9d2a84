import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** NETLINK_NETFILTER, the protocol column of /proc/net/netlink for conntrack and nf_tables sockets. */
const NETLINK_NETFILTER = '12';

/**
 * Whether process `pid` holds a netfilter netlink socket subscribed to some multicast group, i.e. an event
 * reader (`conntrack -E`, `nft monitor`) that has started listening: events from now on reach it. Read from
 * /proc/PID/fd (its socket inodes) and /proc/PID/net/netlink (the namespace's sockets with their groups).
 */
export function netlinkSubscribed(pid: number): boolean {
  try {
    const inodes = new Set<string>();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(safeReadlink(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    }
    for (const line of readFileSync(`/proc/${pid}/net/netlink`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
      if (f[1] === NETLINK_NETFILTER && f[3] !== undefined && /[1-9a-f]/.test(f[3]) && inodes.has(f[9] ?? ''))
        return true;
    }
  } catch {
    // Gone, or not ours to read: not (yet) subscribed.
  }
  return false;
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

/**
 * Waits until every process in `pids()` is subscribed (true) or `timeoutMs` passed (false). With no process
 * (the reader could not start) there is nothing to wait for.
 */
export async function whenSubscribed(pids: () => number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = pids();
    if (list.length === 0) return false;
    if (list.every(netlinkSubscribed)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
}
