import { join, resolve } from 'node:path';
import { createLab, destroyLab, type Lab, type Profile } from '@ftpscope/lab';
import {
  buildUiIfNeeded,
  DATA_DIR,
  printWelcome,
  type Stack,
  startCollector,
  startHub,
  stopStack,
  untilSignal,
} from './run-stack.ts';

/** `pnpm demo`: a hub, a three-host FTP lab (one per firewall story), a collector per host and steady client traffic. */

const HOSTS: Array<{ profile: Profile; story: string }> = [
  { profile: 'healthy', story: 'hardened, FTP helper assigned: everything works' },
  { profile: 'hardened-no-helper', story: 'the classic outage: logins work, listings hang' },
  { profile: 'nft-healthy', story: 'the healthy policy in native nftables' },
];
/** NFLOG group that the outage host logs its policy drops to, so the UI can show each dropped SYN. */
const NFLOG_GROUP = 5;
/** Lab name; another one lets a second demo (or the demo's own test) run beside the default. */
const LAB = process.env.FTPSCOPE_DEMO_LAB || 'demo';

async function main(): Promise<void> {
  buildUiIfNeeded();
  const dataDir = resolve(process.env.FTPSCOPE_DATA_DIR || join(DATA_DIR, 'demo'));
  const stack = await startHub(dataDir, Number(process.env.FTPSCOPE_PORT ?? 8080));
  let running = true;
  const teardown = async () => {
    running = false;
    await stopStack(stack);
    await destroyLab(LAB);
  };
  untilSignal(teardown);
  try {
    await run(dataDir, stack, () => running);
  } catch (err) {
    // The hub and collectors are child processes: left running they would hold the port for the next demo.
    await teardown().catch(() => undefined);
    throw err;
  }
}

/** Builds the lab, starts a collector per host and drives client traffic while `running()` holds. */
async function run(dataDir: string, stack: Stack, running: () => boolean): Promise<void> {
  console.error('ftpscope demo: creating the lab (3 FTP hosts in network namespaces)…');
  await destroyLab(LAB);
  const lab = await createLab({ name: LAB, hosts: HOSTS.length, profile: 'healthy' });
  for (const [i, h] of HOSTS.entries()) {
    const host = lab.hosts[i];
    if (!host) continue;
    if (h.profile !== 'healthy') await lab.setProfile(host.name, h.profile);
    const args = [
      '--netns',
      host.netns,
      '--name',
      host.name,
      '--vsftpd-conf',
      host.vsftpdConf,
      '--ftp-log',
      host.logFile,
    ];
    if (h.profile === 'hardened-no-helper') {
      // Log what is about to hit the DROP policy, so drops show up packet by packet.
      await lab.exec(host.name, [
        'iptables',
        '-A',
        'INPUT',
        '-j',
        'NFLOG',
        '--nflog-group',
        String(NFLOG_GROUP),
        '--nflog-prefix',
        'policy-drop',
      ]);
      args.push('--nflog-group', String(NFLOG_GROUP));
    }
    startCollector(stack, dataDir, args);
  }
  printWelcome(
    stack,
    lab.hosts.map((h, i) => `  ${h.name} (${h.ip}): ${HOSTS[i]?.profile} — ${HOSTS[i]?.story}`),
  );
  while (running()) await traffic(lab);
}

/** One round of client traffic on every host: passive and active listings, a download, an upload. */
async function traffic(lab: Lab): Promise<void> {
  await Promise.all(
    lab.hosts.map(async (h) => {
      const opts = { mode: 'passive', timeoutMs: 5000 } as const;
      await lab.get(h.name, 'small.txt', opts).catch(() => undefined);
      await lab.ls(h.name, opts).catch(() => undefined);
      await lab.ls(h.name, { ...opts, mode: 'active' }).catch(() => undefined);
      await lab.put(h.name, 'small.txt', { ...opts, asUser: true }).catch(() => undefined);
    }),
  );
  await new Promise((r) => setTimeout(r, 2000));
}

main().catch(async (err: unknown) => {
  console.error(`ftpscope demo: ${(err as Error).message}`);
  await destroyLab(LAB).catch(() => undefined);
  process.exit(1);
});
