import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LabError } from './errors.ts';
import { type RunResult, run, runOk } from './exec.ts';
import type { ManagedProfile } from './index.ts';

export { isManaged, MANAGED_PROFILES } from './managed-profiles.ts';

import { iptablesRuleset, type ProfileContext } from './profiles.ts';

/**
 * Lab hosts whose firewall is owned by a real manager. Each gets a private mount namespace inside its
 * network namespace, held by a `sleep` process: /run is a fresh tmpfs (firewalld's own D-Bus system bus
 * lives there), /etc is an overlay whose changes go to that tmpfs, so the manager's files are private and
 * the machine's own /etc and firewall are never touched. netfilter-persistent comes from its Debian packages
 * extracted by scripts/setup.sh (ufw conflicts with them), overlaid onto /usr/share and /usr/sbin.
 *
 * - firewalld-port-only: firewalld 1.x (nftables backend), default zone public, `--add-port=21/tcp` (the incident).
 * - firewalld-ftp-service: the same with `--add-service=ftp` (the service carries the FTP helper): healthy.
 * - ufw-port-only: `ufw default deny incoming`, `ufw allow 21/tcp`, enabled: no helper.
 * - ufw-healthy: the same plus the `*raw` helper lines at the top of before.rules and before6.rules.
 * - iptables-services-no-helper, netfilter-persistent-no-helper: the hardened-no-helper ruleset saved in
 *   /etc/sysconfig/iptables (with iptables-config) or /etc/iptables/rules.v4|v6, loaded with iptables-restore
 *   the way iptables.service / netfilter-persistent do at boot.
 * - nftables-service-no-helper: an /etc/nftables.conf without counters (policy drop, control port, RELATED),
 *   loaded with `nft -f` like nftables.service.
 */

/** Where scripts/setup.sh extracts the netfilter-persistent and iptables-persistent packages. */
export const NETFILTER_PERSISTENT_ROOT = '/opt/ftpscope-netfilter-persistent';

/** Runs argv in the host's network namespace and its manager's mount namespace (no shell). */
export function managerRun(pid: number, argv: string[], timeoutMs = 60_000): Promise<RunResult> {
  return run(['nsenter', '-t', String(pid), '-m', '-n', '--', ...argv], { timeoutMs });
}

async function managerOk(pid: number, argv: string[]): Promise<RunResult> {
  const r = await managerRun(pid, argv);
  if (r.code !== 0)
    throw new LabError(
      'FTPSCOPE_ERR_LAB_COMMAND_FAILED',
      `\`${argv.join(' ')}\` failed: ${r.stderr.trim() || r.stdout.trim()}`,
    );
  return r;
}

/** A file as the manager sees it (through /proc/PID/root, so the private /etc overlay). */
export const managerPath = (pid: number, path: string) => join(`/proc/${pid}/root`, path);

/** Reads a file of the manager's private /etc. */
export function readManagerFile(pid: number, path: string): Promise<string> {
  return readFile(managerPath(pid, path), 'utf8').catch(() => '');
}

/** Writes a file of the manager's private /etc. */
export async function writeManagerFile(pid: number, path: string, text: string): Promise<void> {
  await mkdir(dirname(managerPath(pid, path)), { recursive: true });
  await writeFile(managerPath(pid, path), text);
}

/** Starts the holder of the private mount namespace in `netns`; resolves with its pid once it is set up. */
async function startHolder(netns: string, profile: ManagedProfile): Promise<number> {
  const nfp = profile.startsWith('netfilter-persistent');
  if (nfp && !existsSync(join(NETFILTER_PERSISTENT_ROOT, 'usr/sbin/netfilter-persistent')))
    throw new LabError(
      'FTPSCOPE_ERR_LAB_MISSING_BINARY',
      `netfilter-persistent is not extracted under ${NETFILTER_PERSISTENT_ROOT}`,
      'run scripts/setup.sh (it extracts netfilter-persistent and iptables-persistent there)',
    );
  // The holder only keeps the namespace alive; the mounts are made in it one command at a time (no shell).
  const child = spawn(
    'ip',
    ['netns', 'exec', netns, 'unshare', '-m', '--propagation', 'private', 'sleep', 'infinity'],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  child.unref();
  const pid = child.pid as number;
  const deadline = Date.now() + 10_000;
  while ((await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => 'gone')).trim() !== 'sleep') {
    if (Date.now() > deadline)
      throw new LabError(
        'FTPSCOPE_ERR_LAB_COMMAND_FAILED',
        `the manager namespace of ${netns} did not come up`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
  const inside = (argv: string[]) => runOk(['nsenter', '-t', String(pid), '-m', '--', ...argv]);
  const overlay = (dir: string) =>
    inside([
      'mount',
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${NETFILTER_PERSISTENT_ROOT}${dir}:${dir}`,
      dir,
    ]);
  await inside(['mount', '-t', 'tmpfs', 'tmpfs', '/run']);
  await inside(['mkdir', '-p', '/run/dbus', '/run/lab-etc/upper', '/run/lab-etc/work']);
  await inside([
    'mount',
    '-t',
    'overlay',
    'overlay',
    '-o',
    'lowerdir=/etc,upperdir=/run/lab-etc/upper,workdir=/run/lab-etc/work',
    '/etc',
  ]);
  if (nfp) {
    await overlay('/usr/share');
    await overlay('/usr/sbin');
  }
  return pid;
}

async function startFirewalld(pid: number): Promise<void> {
  await managerOk(pid, ['dbus-daemon', '--system', '--fork', '--nopidfile']);
  spawn('nsenter', ['-t', String(pid), '-m', '-n', '--', 'firewalld', '--nofork', '--nopid'], {
    detached: true,
    stdio: 'ignore',
  }).unref();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await managerRun(pid, ['firewall-cmd', '--state'], 10_000)).stdout.trim() === 'running') return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new LabError('FTPSCOPE_ERR_LAB_COMMAND_FAILED', 'firewalld did not start within 60 s');
}

/** The helper lines ufw-healthy has at the top of before.rules (the fix ftpscope gives for ufw). */
const UFW_RAW = [
  '*raw',
  ':PREROUTING ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  '-A PREROUTING -p tcp --dport 21 -j CT --helper ftp',
  '-A OUTPUT -p tcp --dport 21 -j CT --helper ftp',
  'COMMIT',
  '',
].join('\n');

/** /etc/nftables.conf of nftables-service-no-helper: hand-written, without counters, no helper. */
function nftablesConf(ctx: ProfileContext): string {
  return [
    '#!/usr/sbin/nft -f',
    'flush ruleset',
    '',
    'table inet filter {',
    '  chain input {',
    '    type filter hook input priority filter; policy drop;',
    '    iif "lo" accept',
    '    meta l4proto ipv6-icmp accept',
    `    ip saddr ${ctx.lanNet} tcp dport 21 ct state new accept`,
    ...(ctx.lanNet6 ? [`    ip6 saddr ${ctx.lanNet6} tcp dport 21 ct state new accept`] : []),
    '    ct state established,related accept',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Writes the profile's saved configuration into the private /etc (file-based managers). */
async function writeSavedConfig(pid: number, profile: ManagedProfile, ctx: ProfileContext): Promise<void> {
  const v4 = iptablesRuleset('hardened-no-helper', ctx.lanNet, false) ?? '';
  // Debian's iptables-persistent always keeps both files (its ip6tables plugin fails on a missing one).
  const v6 = ctx.lanNet6
    ? (iptablesRuleset('hardened-no-helper', ctx.lanNet6, true) ?? '')
    : '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
  if (profile === 'iptables-services-no-helper') {
    await writeManagerFile(pid, '/etc/sysconfig/iptables', v4);
    if (ctx.lanNet6) await writeManagerFile(pid, '/etc/sysconfig/ip6tables', v6);
    await writeManagerFile(
      pid,
      '/etc/sysconfig/iptables-config',
      '# Load additional iptables modules (nat helpers)\nIPTABLES_MODULES=""\nIPTABLES_SAVE_ON_STOP="no"\nIPTABLES_SAVE_ON_RESTART="no"\n',
    );
  } else if (profile === 'netfilter-persistent-no-helper') {
    await writeManagerFile(pid, '/etc/iptables/rules.v4', v4);
    await writeManagerFile(pid, '/etc/iptables/rules.v6', v6);
  } else if (profile === 'nftables-service-no-helper') {
    await writeManagerFile(pid, '/etc/nftables.conf', nftablesConf(ctx));
  }
}

/**
 * Loads the saved configuration the way the manager's service does at boot (the firewall must be empty
 * first, as after a reboot: the caller flushes it). ufw runs `ufw-init start`; firewalld is a daemon and
 * reloads with `firewall-cmd --reload` instead.
 */
export async function bootManager(pid: number, profile: ManagedProfile): Promise<void> {
  if (profile.startsWith('iptables-services')) {
    const config = await readManagerFile(pid, '/etc/sysconfig/iptables-config');
    const modules = /^IPTABLES_MODULES="?([^"\n]*)"?/m.exec(config)?.[1]?.split(/\s+/).filter(Boolean) ?? [];
    for (const m of modules) if (!existsSync(`/sys/module/${m}`)) await run(['modprobe', m]);
    await managerOk(pid, ['iptables-restore', '/etc/sysconfig/iptables']);
    if (existsSync(managerPath(pid, '/etc/sysconfig/ip6tables')))
      await managerOk(pid, ['ip6tables-restore', '/etc/sysconfig/ip6tables']);
  } else if (profile.startsWith('netfilter-persistent')) {
    await managerOk(pid, ['netfilter-persistent', 'start']);
  } else if (profile.startsWith('nftables-service')) {
    await managerOk(pid, ['nft', '-f', '/etc/nftables.conf']);
  } else if (profile.startsWith('ufw')) {
    await managerOk(pid, ['/lib/ufw/ufw-init', 'start']);
  }
}

/** Sets up a managed profile in `netns` (whose ruleset is empty); returns the manager holder's pid. */
export async function applyManagedProfile(
  netns: string,
  profile: ManagedProfile,
  ctx: ProfileContext,
): Promise<number> {
  const pid = await startHolder(netns, profile);
  if (profile.startsWith('firewalld')) {
    await startFirewalld(pid);
    const open = profile === 'firewalld-port-only' ? '--add-port=21/tcp' : '--add-service=ftp';
    await managerOk(pid, ['firewall-cmd', '--permanent', open]);
    await managerOk(pid, ['firewall-cmd', '--reload']);
  } else if (profile.startsWith('ufw')) {
    if (profile === 'ufw-healthy') {
      for (const f of ['/etc/ufw/before.rules', '/etc/ufw/before6.rules'])
        await writeManagerFile(pid, f, UFW_RAW + (await readManagerFile(pid, f)));
    }
    await managerOk(pid, ['ufw', 'default', 'deny', 'incoming']);
    await managerOk(pid, ['ufw', 'allow', '21/tcp']);
    await managerOk(pid, ['ufw', '--force', 'enable']);
  } else {
    await writeSavedConfig(pid, profile, ctx);
    await bootManager(pid, profile);
  }
  return pid;
}

/** Empties the namespace's firewall (as after a reboot), keeping nothing. */
export async function flushFirewall(netns: string): Promise<void> {
  await runOk(['nft', 'flush', 'ruleset'], { netns });
}
