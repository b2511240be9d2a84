import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { workstationIp, workstationName, workstationRootIp } from './addressing.ts';
import { LabError } from './errors.ts';
import { requireBinaries, requireRoot, run, runOk, which } from './exec.ts';
import { withLock } from './state.ts';
import { namespacePids } from './topology.ts';

/**
 * An operator's workstation for browser tests: a network namespace of its own, with one veth to the root
 * namespace and a default route through it. Chromium watches every interface of its namespace and fails each
 * connection it is still setting up when one changes (net::ERR_NETWORK_CHANGED, no flag turns that off); the
 * labs of tests running beside it add and remove veths in the root namespace all the time. Run through
 * `chromium` (Playwright's executablePath), the browser sees only its own two links. A hub it opens must
 * listen on `hubIp`, the root side of the link (127.0.0.1 of the root namespace is out of its reach).
 */
export interface Workstation {
  netns: string;
  /** Root-namespace address the workstation reaches; listen here (the root namespace reaches it too). */
  hubIp: string;
  /** The workstation's own address, the source of what the browser sends. */
  ip: string;
  /** Executable that runs Chromium inside the namespace, with the arguments it is given. */
  chromium: string;
  /** Kills what still runs in the namespace, then removes link and namespace; safe to call twice. */
  down(): Promise<void>;
}

/** Most workstations at once: the /30s of 198.19.251.0/24. */
const MAX_WORKSTATIONS = 64;

/** Creates a workstation; `dir` receives the Chromium wrapper script. */
export async function createWorkstation(dir: string, chromium = '/usr/bin/chromium'): Promise<Workstation> {
  requireRoot();
  requireBinaries(['ip']);
  if (which(chromium) === null)
    throw new LabError(
      'FTPSCOPE_ERR_LAB_MISSING_BINARY',
      `${chromium} not found`,
      'apt-get install -y chromium',
    );
  const k = await withLock(async () => {
    const used = (await runOk(['ip', '-o', 'addr', 'show'])).stdout;
    for (let k = 0; k < MAX_WORKSTATIONS; k++) {
      if (used.includes(` ${workstationRootIp(k)}/`)) continue;
      await build(k);
      return k;
    }
    throw new LabError(
      'FTPSCOPE_ERR_LAB_ADDRESS_IN_USE',
      `all ${MAX_WORKSTATIONS} workstation links in 198.19.251.0/24 are in use`,
      'remove stale ones with `ip link del fsws<k>` and `ip netns del fsws<k>`',
    );
  });
  const netns = workstationName(k);
  const wrapper = join(dir, `chromium-in-${netns}`);
  await writeFile(wrapper, `#!/bin/sh\nexec ${which('ip')} netns exec ${netns} ${chromium} "$@"\n`);
  await chmod(wrapper, 0o755);
  return {
    netns,
    hubIp: workstationRootIp(k),
    ip: workstationIp(k),
    chromium: wrapper,
    down: async () => {
      for (const pid of await namespacePids(netns).catch(() => [])) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
      await run(['ip', 'link', 'del', netns]);
      await run(['ip', 'netns', 'del', netns]);
    },
  };
}

/** Namespace, veth and addresses of workstation k; a namespace left by a crash (its link gone) is replaced. */
async function build(k: number): Promise<void> {
  const netns = workstationName(k);
  const link = netns;
  await run(['ip', 'netns', 'del', netns]);
  await runOk(['ip', 'netns', 'add', netns]);
  try {
    // No IPv6: its link-local address finishing DAD a second after the link comes up is itself a change.
    // biome-ignore format: one setting per line
    await runOk(['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'],
      { netns });
    await runOk(['ip', 'link', 'add', link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    await runOk(['ip', 'addr', 'add', `${workstationRootIp(k)}/30`, 'dev', link]);
    await runOk(['ip', 'link', 'set', link, 'up']);
    await runOk(['ip', '-batch', '-'], {
      netns,
      input: [
        'link set lo up',
        `addr add ${workstationIp(k)}/30 dev eth0`,
        'link set eth0 up',
        `route add default via ${workstationRootIp(k)}`,
        '',
      ].join('\n'),
    });
  } catch (err) {
    await run(['ip', 'link', 'del', link]);
    await run(['ip', 'netns', 'del', netns]);
    throw err;
  }
}
