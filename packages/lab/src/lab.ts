import { existsSync } from 'node:fs';
import { lstat, mkdir, readlink, rm, symlink } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import * as addr from './addressing.ts';
import { LabError } from './errors.ts';
import { requireBinaries, requireRoot, run, runOk } from './exec.ts';
import { type FtpAction, runFtp } from './ftp-client.ts';
import type { ServerVariant } from './ftp-server.ts';
import type { FtpOptions, FtpResult, Lab, LabHost, LabOptions, Profile } from './index.ts';
import { isManaged } from './managed-profiles.ts';
import {
  applyManagedProfile,
  bootManager,
  flushFirewall,
  managerRun,
  readManagerFile,
  writeManagerFile,
} from './managers.ts';
import { applyProfile, ensureFtpHelper, isProfile } from './profiles.ts';
import { stopPids, waitFreed } from './server-process.ts';
import { isServerKind, LAB_SERVERS } from './servers.ts';
import { LABS_ROOT, type LabState, readAllStates, readState, withLock, writeState } from './state.ts';
import {
  createTopology,
  destroyTopology,
  labNamespaces,
  labRootLinks,
  labsWithNamespaces,
  namespacePids,
} from './topology.ts';
import { ensureLabUser, LAB_USER, prepareHostDirs, writeSampleFiles } from './vsftpd.ts';

/** Binaries a lab needs; checked up front so a missing one is reported with its apt package. */
const REQUIRED = [
  'ip',
  'ss',
  'nft',
  'iptables-restore',
  'iptables-save',
  'conntrack',
  'vsftpd',
  'lftp',
  'curl',
  'useradd',
  'chpasswd',
];

function validate(opts: LabOptions): void {
  if (!/^[a-z0-9]{1,8}$/.test(opts.name)) {
    throw new LabError(
      'FTPSCOPE_ERR_LAB_BAD_INPUT',
      `bad lab name "${opts.name}"`,
      'use 1-8 characters a-z, 0-9',
    );
  }
  if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > addr.MAX_HOSTS) {
    throw new LabError(
      'FTPSCOPE_ERR_LAB_BAD_INPUT',
      `bad host count ${opts.hosts}`,
      `use 1..${addr.MAX_HOSTS}`,
    );
  }
  if (!isProfile(opts.profile)) {
    throw new LabError(
      'FTPSCOPE_ERR_LAB_BAD_INPUT',
      `unknown profile "${opts.profile}"`,
      'see packages/lab/README.md',
    );
  }
  if (opts.server !== undefined && !isServerKind(opts.server))
    throw new LabError(
      'FTPSCOPE_ERR_LAB_BAD_INPUT',
      `unknown FTP server "${opts.server}"`,
      'use vsftpd, proftpd or pure-ftpd',
    );
  const nat = opts.nat ?? 'none';
  if (!['none', 'plain', 'helper'].includes(nat))
    throw new LabError(
      'FTPSCOPE_ERR_LAB_BAD_INPUT',
      `unknown NAT mode "${nat}"`,
      'use none, plain or helper',
    );
  if (nat !== 'none' && opts.ipv6)
    throw new LabError('FTPSCOPE_ERR_LAB_BAD_INPUT', 'a NAT lab is IPv4 only', 'drop --ipv6');
  if (nat !== 'none' && opts.hosts > addr.MAX_NAT_HOSTS)
    throw new LabError('FTPSCOPE_ERR_LAB_BAD_INPUT', `a NAT lab has at most ${addr.MAX_NAT_HOSTS} hosts`);
}

/** Picks the lowest index no registered lab and no root-namespace address uses. */
async function allocateIndex(): Promise<number> {
  const used = new Set((await readAllStates()).map((s) => s.index));
  const rootAddrs = (await runOk(['ip', '-o', 'addr', 'show'])).stdout;
  for (let n = 1; n <= addr.MAX_INDEX; n++) {
    if (!used.has(n) && !addr.indexInUse(rootAddrs, n)) return n;
  }
  throw new LabError(
    'FTPSCOPE_ERR_LAB_ADDRESS_IN_USE',
    'no free address block in 198.18.0.0/15 for another lab',
    'remove old labs with `pnpm lab down --all`',
  );
}

function buildState(opts: LabOptions, index: number, dir: string): LabState {
  const hosts = Array.from({ length: opts.hosts }, (_, k): LabState['hosts'][number] => {
    const i = k + 1;
    const name = addr.hostName(i);
    const hostDir = join(dir, name);
    const server = opts.server ?? 'vsftpd';
    const files = LAB_SERVERS[server].files(hostDir);
    return {
      name,
      netns: addr.netnsName(opts.name, name),
      ip: addr.hostIp(index, i),
      insideIp: (opts.nat ?? 'none') !== 'none' ? addr.insideIp(index, i) : null,
      ip6: opts.ipv6 ? addr.hostIp6(index, i) : null,
      mgmtIp: addr.mgmtHostIp(index, i),
      mgmtGatewayIp: addr.mgmtGatewayIp(index, i),
      server,
      serverConf: files.conf,
      vsftpdConf: join(hostDir, 'vsftpd.conf'),
      logFile: files.log,
      ftpRoot: join(hostDir, 'pub'),
      passiveRange: addr.passiveRange(i),
      user: { ...LAB_USER },
      profile: opts.profile,
      managerPid: null,
      pids: [],
    };
  });
  return {
    name: opts.name,
    index,
    dir,
    ipv6: opts.ipv6 === true,
    status: 'creating',
    createdAt: new Date().toISOString(),
    hosts,
    client: {
      netns: addr.netnsName(opts.name, 'client'),
      ip: addr.clientIp(index),
      ip6: opts.ipv6 ? addr.clientIp6(index) : null,
    },
    bridgeNetns: addr.netnsName(opts.name, 'net'),
    router:
      (opts.nat ?? 'none') === 'none'
        ? null
        : { netns: addr.netnsName(opts.name, 'router'), helper: opts.nat === 'helper' },
  };
}

/** Reserves a name and an index under the lock and registers the lab's (empty) state. */
async function reserve(opts: LabOptions): Promise<LabState> {
  return withLock(async () => {
    const registered = join(LABS_ROOT, opts.name);
    const leftovers = [...(await labNamespaces(opts.name)), ...(await labRootLinks(opts.name))];
    if (existsSync(registered) || leftovers.length > 0) {
      throw new LabError(
        'FTPSCOPE_ERR_LAB_EXISTS',
        `lab "${opts.name}" already exists${leftovers.length ? ` (${leftovers.join(', ')})` : ''}`,
        `remove it with \`pnpm lab down --name ${opts.name}\` or pick another name`,
      );
    }
    const dir = resolve(opts.dir ?? registered);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    if (dir !== registered) await symlink(dir, registered);
    const state = buildState(opts, await allocateIndex(), dir);
    await writeState(state);
    await ensureLabUser();
    return state;
  });
}

const profileContext = (state: LabState) => ({
  lanNet: addr.lanNet(state.index),
  lanNet6: state.ipv6 ? addr.lanNet6(state.index) : null,
});

/** Creates a lab (namespaces, links, vsftpd, firewall); on any failure removes what it built. */
export async function createLab(opts: LabOptions): Promise<Lab> {
  validate(opts);
  requireRoot();
  requireBinaries(REQUIRED);
  requireBinaries(LAB_SERVERS[opts.server ?? 'vsftpd'].binaries());
  await ensureFtpHelper();
  const state = await reserve(opts);
  const checkAborted = () => {
    if (opts.signal?.aborted)
      throw new LabError('FTPSCOPE_ERR_LAB_ABORTED', `creation of lab "${opts.name}" aborted`);
  };
  try {
    checkAborted();
    await createTopology(state);
    checkAborted();
    await writeSampleFiles(join(state.dir, 'client'), 'client');
    await mkdir(join(state.dir, 'client', 'downloads'), { recursive: true });
    for (const host of state.hosts) {
      if (isManaged(host.profile)) {
        await flushFirewall(host.netns);
        host.managerPid = await applyManagedProfile(host.netns, host.profile, profileContext(state));
        host.pids.push(host.managerPid);
        await writeState(state);
      } else await applyProfile(host.netns, host.profile, profileContext(state));
      const hostDir = join(state.dir, host.name);
      await prepareHostDirs(host, hostDir);
      await LAB_SERVERS[host.server].write(host, hostDir, {});
      host.pids = await LAB_SERVERS[host.server].start(host, hostDir, {});
      checkAborted();
    }
    state.status = 'up';
    await writeState(state);
  } catch (err) {
    await destroyLab(opts.name).catch(() => {});
    throw err;
  }
  return labFromState(state);
}

/** Opens a lab created earlier (possibly by another process). */
export async function openLab(name: string): Promise<Lab> {
  const state = await readState(name);
  if (!state) {
    throw new LabError(
      'FTPSCOPE_ERR_LAB_NOT_FOUND',
      `no lab named "${name}"`,
      'create it with `pnpm lab up`',
    );
  }
  return labFromState(state);
}

/** Removes every namespace, link, process and file of a lab; safe on a half-built or missing lab. */
export async function destroyLab(name: string): Promise<void> {
  if (!/^[a-z0-9]{1,8}$/.test(name))
    throw new LabError('FTPSCOPE_ERR_LAB_BAD_INPUT', `bad lab name "${name}"`);
  requireRoot();
  const state = await readState(name).catch(() => null);
  for (const pid of state?.hosts.flatMap((h) => h.pids) ?? []) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
  }
  await destroyTopology(name);
  const registered = join(LABS_ROOT, name);
  const link = await lstat(registered).catch(() => null);
  if (link?.isSymbolicLink()) {
    await rm(await readlink(registered), { recursive: true, force: true });
  }
  await rm(registered, { recursive: true, force: true });
}

/** Every lab registered on this machine. */
export async function listLabs(): Promise<Lab[]> {
  return (await readAllStates()).map(labFromState);
}

/** Labs whose namespaces exist but which are not registered (left by a crash); `destroyLab` removes them. */
export async function orphanLabs(): Promise<string[]> {
  const registered = new Set((await readAllStates()).map((s) => s.name));
  return (await labsWithNamespaces()).filter((n) => !registered.has(n));
}

/** What `lab status` shows about one lab: its namespaces and the processes in them. */
export async function labStatus(name: string): Promise<{ netns: string; pids: number[] }[]> {
  const namespaces = await labNamespaces(name);
  return Promise.all(namespaces.map(async (netns) => ({ netns, pids: await namespacePids(netns) })));
}

function labFromState(state: LabState): Lab {
  const host = (name: string): LabHost => {
    const h = state.hosts.find((x) => x.name === name);
    if (h) {
      // State files of labs made before these fields existed.
      h.server ??= 'vsftpd';
      h.serverConf ??= h.vsftpdConf;
      h.insideIp ??= null;
    }
    if (!h) {
      throw new LabError(
        'FTPSCOPE_ERR_LAB_BAD_INPUT',
        `lab "${state.name}" has no host "${name}"`,
        `hosts: ${state.hosts.map((x) => x.name).join(', ')}`,
      );
    }
    return h;
  };
  const target = (name: string, opts: FtpOptions) => {
    const h = host(name);
    if (opts.ipv6 && !h.ip6) {
      throw new LabError(
        'FTPSCOPE_ERR_LAB_BAD_INPUT',
        `lab "${state.name}" has no IPv6`,
        'create it with --ipv6',
      );
    }
    return { clientNetns: state.client.netns, ip: opts.ipv6 ? (h.ip6 as string) : h.ip };
  };
  const ftp = (name: string, action: FtpAction, opts: FtpOptions): Promise<FtpResult> =>
    runFtp(target(name, opts), action, opts);
  const managerOf = (name: string): number => {
    const pid = host(name).managerPid;
    if (pid == null)
      throw new LabError(
        'FTPSCOPE_ERR_LAB_BAD_INPUT',
        `host "${name}" has no firewall manager`,
        'use a managed profile',
      );
    return pid;
  };
  const clientDir = join(state.dir, 'client');
  const localFile = (file: string) =>
    isAbsolute(file) || existsSync(file) ? resolve(file) : join(clientDir, file);

  /** Stops a host's server, then starts it again (after `write` when a variant is given). */
  const restart = async (name: string, variant: ServerVariant | null) => {
    const h = host(name);
    const stored = state.hosts.find((x) => x.name === name) as LabState['hosts'][number];
    const hostDir = join(state.dir, name);
    await stopPids(stored.pids);
    await waitFreed(h.netns, 21);
    if (variant) await LAB_SERVERS[h.server].write(h, hostDir, variant);
    stored.pids = await LAB_SERVERS[h.server].start(h, hostDir, variant ?? {});
    const fresh = await readState(state.name);
    const saved = fresh?.hosts.find((x) => x.name === name);
    if (fresh && saved) {
      saved.pids = stored.pids;
      await writeState(fresh);
    }
  };

  const lab: Lab = {
    name: state.name,
    dir: state.dir,
    hosts: state.hosts.map(({ pids: _pids, ...h }) => h),
    client: state.client,
    router: state.router ?? null,
    privateNets: state.router ? [`198.19.${state.index}.0/24`] : [],
    host,
    restartServer: (name) => restart(name, null),
    reconfigureServer: (name, variant) => restart(name, variant),
    async startExtraServer(name, variant) {
      const h = host(name);
      const hostDir = join(state.dir, name);
      const files = await LAB_SERVERS[h.server].write(h, hostDir, variant);
      const pids = await LAB_SERVERS[h.server].start(h, hostDir, variant);
      return { ...files, stop: () => stopPids(pids) };
    },
    async setProfile(name, profile: Profile) {
      if (!isProfile(profile)) {
        throw new LabError(
          'FTPSCOPE_ERR_LAB_BAD_INPUT',
          `unknown profile "${profile}"`,
          'see packages/lab/README.md',
        );
      }
      const h = host(name);
      if (isManaged(profile) || isManaged(h.profile)) {
        throw new LabError(
          'FTPSCOPE_ERR_LAB_BAD_INPUT',
          `a managed profile (${isManaged(profile) ? profile : h.profile}) is set when the lab is created`,
          'create a lab with that profile instead',
        );
      }
      await applyProfile(h.netns, profile, profileContext(state));
      h.profile = profile;
      const fresh = await readState(state.name);
      const stored = fresh?.hosts.find((x) => x.name === name);
      if (fresh && stored) {
        stored.profile = profile;
        await writeState(fresh);
      }
      const pub = lab.hosts.find((x) => x.name === name);
      if (pub) pub.profile = profile;
    },
    async exec(name, argv) {
      const netns = name === 'client' ? state.client.netns : host(name).netns;
      const res = await run(argv, { netns });
      return { code: res.code, stdout: res.stdout, stderr: res.stderr };
    },
    login: (name, opts) => ftp(name, { kind: 'login' }, opts),
    ls: (name, opts) => ftp(name, { kind: 'ls' }, opts),
    get: (name, file, opts) =>
      ftp(name, { kind: 'get', file, dest: join(clientDir, 'downloads', basename(file)) }, opts),
    put: (name, file, opts) =>
      // Anonymous users cannot write: uploads always log in as the lab's local user.
      ftp(
        name,
        { kind: 'put', file: localFile(file), remoteName: basename(file) },
        { ...opts, asUser: true },
      ),
    async load(name, opts) {
      const deadline = Date.now() + opts.seconds * 1000;
      let transfers = 0;
      let failures = 0;
      const loop = async () => {
        while (Date.now() < deadline) {
          const left = deadline - Date.now();
          const res = await ftp(
            name,
            { kind: 'get', file: '1MB.bin', dest: '/dev/null' },
            { ...opts, timeoutMs: Math.max(1000, Math.min(opts.timeoutMs ?? 8000, left + 2000)) },
          );
          if (res.ok) transfers++;
          else failures++;
        }
      };
      await Promise.all(Array.from({ length: opts.sessions }, loop));
      return { transfers, failures };
    },
    managerExec: (name, argv) => managerRun(managerOf(name), argv),
    readManagerFile: (name, path) => readManagerFile(managerOf(name), path),
    writeManagerFile: (name, path, text) => writeManagerFile(managerOf(name), path, text),
    async rebootManager(name) {
      const h = host(name);
      await flushFirewall(h.netns);
      if (isManaged(h.profile)) await bootManager(managerOf(name), h.profile);
    },
    down: () => destroyLab(state.name),
  };
  return lab;
}
