import { Command, InvalidArgumentError, Option } from 'commander';
import { LabError } from './errors.ts';
import type { FtpOptions, FtpResult, FtpServerKind, NatMode, Profile } from './index.ts';
import { createLab, destroyLab, labStatus, listLabs, openLab, orphanLabs } from './lab.ts';
import { isProfile, PROFILES } from './profiles.ts';
import { FTP_SERVER_KINDS } from './servers.ts';

/** `pnpm lab`: create, drive and remove the FTP lab from a shell. */

const DEFAULT_LAB = 'demo';

const int = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer`);
  return n;
};
const profileArg = (v: string): Profile => {
  if (!isProfile(v)) throw new InvalidArgumentError(`unknown profile; one of: ${PROFILES.join(', ')}`);
  return v;
};

/** Aborts a lab creation in progress on Ctrl-C/SIGTERM; createLab then removes what it built. */
const creation = new AbortController();
let creating: Promise<unknown> | null = null;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    creation.abort();
    void (creating ?? Promise.resolve()).catch(() => {}).then(() => process.exit(130));
  });
}

const printResult = (r: FtpResult) => {
  if (r.stdout) process.stdout.write(r.stdout);
  if (r.stderr) process.stderr.write(r.stderr.endsWith('\n') ? r.stderr : `${r.stderr}\n`);
  console.error(`${r.ok ? 'ok' : 'FAILED'} (exit ${r.exitCode}, ${r.durationMs} ms)`);
  if (!r.ok) process.exitCode = 1;
};

const program = new Command('lab').description('A real FTP network in network namespaces (ftpscope lab)');

program
  .command('up')
  .description(
    'create a lab: N FTP server hosts and one client namespace on a bridge (or behind a NAT router)',
  )
  .option('--name <name>', 'lab name ([a-z0-9]{1,8})', DEFAULT_LAB)
  .option('--hosts <n>', 'number of FTP server hosts', int('--hosts'), 1)
  .addOption(new Option('--profile <profile>', 'firewall profile').choices(PROFILES).default('healthy'))
  .option('--ipv6', 'also give every host and the client an IPv6 address', false)
  .addOption(
    new Option('--server <server>', 'FTP server of every host').choices(FTP_SERVER_KINDS).default('vsftpd'),
  )
  .addOption(
    new Option('--nat <mode>', 'a 1:1 NAT router in front of the hosts (plain: no FTP helper on it)')
      .choices(['none', 'plain', 'helper'])
      .default('none'),
  )
  .action(
    async (o: {
      name: string;
      hosts: number;
      profile: Profile;
      ipv6: boolean;
      server: FtpServerKind;
      nat: NatMode;
    }) => {
      const pending = createLab({
        name: o.name,
        hosts: o.hosts,
        profile: o.profile,
        ipv6: o.ipv6,
        server: o.server,
        nat: o.nat,
        signal: creation.signal,
      });
      creating = pending;
      const lab = await pending;
      console.log(`lab ${lab.name} up in ${lab.dir}`);
      console.log(
        `client  ${lab.client.netns}  ${lab.client.ip}${lab.client.ip6 ? `  ${lab.client.ip6}` : ''}`,
      );
      for (const h of lab.hosts) {
        console.log(
          `${h.name.padEnd(7)} ${h.netns}  ${h.ip}${h.insideIp ? ` (inside ${h.insideIp})` : ''}${h.ip6 ? `  ${h.ip6}` : ''}  mgmt ${h.mgmtIp} (gateway ${h.mgmtGatewayIp})  passive ${h.passiveRange.join('-')}  ${h.server}  profile ${h.profile}`,
        );
      }
      if (lab.router)
        console.log(
          `router  ${lab.router.netns}  1:1 NAT${lab.router.helper ? ' with the FTP helper' : ', no FTP helper'}`,
        );
    },
  );

program
  .command('profile')
  .description("switch a running host's firewall to a profile (a hardening change)")
  .argument('<host>', 'host name, e.g. ftp1')
  .argument('<profile>', `one of: ${PROFILES.join(', ')}`, profileArg)
  .option('--name <name>', 'lab name', DEFAULT_LAB)
  .action(async (host: string, profile: Profile, o: { name: string }) => {
    const lab = await openLab(o.name);
    await lab.setProfile(host, profile);
    console.log(`${o.name}/${host}: profile ${profile}`);
  });

type FtpFlags = {
  name: string;
  passive?: boolean;
  active?: boolean;
  client: 'lftp' | 'curl';
  user: boolean;
  ipv6: boolean;
  timeout: number;
  sessions?: number;
  seconds?: number;
};

const ftpOptions = (o: FtpFlags): FtpOptions => {
  if (o.passive && o.active)
    throw new LabError('FTPSCOPE_ERR_LAB_BAD_INPUT', 'give either --passive or --active');
  return {
    mode: o.active ? 'active' : 'passive',
    client: o.client,
    asUser: o.user,
    ipv6: o.ipv6,
    timeoutMs: o.timeout,
  };
};

const FTP_ACTIONS = ['ls', 'login', 'get', 'put', 'load'] as const;

program
  .command('ftp')
  .description('run a real FTP client (lftp or curl) from the client namespace')
  .argument('<host>', 'host name, e.g. ftp1')
  .argument('<action>', `one of: ${FTP_ACTIONS.join(', ')} (login = log in and NOOP, no data connection)`)
  .argument(
    '[file]',
    'get: remote file (small.txt, 1MB.bin); put: local path or a name in the lab client dir',
  )
  .option('--name <name>', 'lab name', DEFAULT_LAB)
  .option('--passive', 'passive mode (default)')
  .option('--active', 'active mode (server connects back from port 20)')
  .addOption(new Option('--client <client>', 'FTP client').choices(['lftp', 'curl']).default('lftp'))
  .option('--user', "log in as the lab's local user instead of anonymous", false)
  .option('--ipv6', "use the host's IPv6 address", false)
  .option('--timeout <ms>', 'kill the client after this many ms', int('--timeout'), 8000)
  .option('--sessions <k>', 'load: concurrent sessions', int('--sessions'))
  .option('--seconds <s>', 'load: duration in seconds', int('--seconds'))
  .action(async (host: string, action: string, file: string | undefined, o: FtpFlags) => {
    const opts = ftpOptions(o);
    const needFile = () => {
      if (!file) throw new LabError('FTPSCOPE_ERR_LAB_BAD_INPUT', `${action} needs a FILE argument`);
      return file;
    };
    const lab = await openLab(o.name);
    switch (action) {
      case 'ls':
        return printResult(await lab.ls(host, opts));
      case 'login':
        return printResult(await lab.login(host, opts));
      case 'get':
        return printResult(await lab.get(host, needFile(), opts));
      case 'put':
        return printResult(await lab.put(host, needFile(), opts));
      case 'load': {
        if (!o.sessions || !o.seconds) {
          throw new LabError('FTPSCOPE_ERR_LAB_BAD_INPUT', 'load needs --sessions K --seconds S');
        }
        const res = await lab.load(host, { ...opts, sessions: o.sessions, seconds: o.seconds });
        console.log(
          `transfers ${res.transfers}, failures ${res.failures} (${o.sessions} sessions, ${o.seconds} s)`,
        );
        if (res.transfers === 0) process.exitCode = 1;
        return;
      }
      default:
        throw new LabError(
          'FTPSCOPE_ERR_LAB_BAD_INPUT',
          `unknown ftp action "${action}"`,
          `use one of: ${FTP_ACTIONS.join(', ')}`,
        );
    }
  });

program
  .command('down')
  .description('remove a lab: namespaces, links, processes, rules and files')
  .option('--name <name>', 'lab name', DEFAULT_LAB)
  .option('--all', 'remove every lab on this machine', false)
  .action(async (o: { name: string; all: boolean }) => {
    const names = o.all ? [...(await listLabs()).map((l) => l.name), ...(await orphanLabs())] : [o.name];
    for (const name of names) {
      await destroyLab(name);
      console.log(`lab ${name} down`);
    }
  });

program
  .command('status')
  .description('list labs, their namespaces and the processes in them')
  .action(async () => {
    const labs = await listLabs();
    const orphans = await orphanLabs();
    if (labs.length === 0 && orphans.length === 0) console.log('no labs');
    for (const name of orphans) {
      const spaces = (await labStatus(name)).map((n) => n.netns).join(' ');
      console.log(
        `unregistered lab ${name} (namespaces ${spaces}): remove with \`pnpm lab down --name ${name}\``,
      );
    }
    for (const lab of labs) {
      console.log(`lab ${lab.name}  ${lab.dir}`);
      for (const h of lab.hosts)
        console.log(`  ${h.name.padEnd(7)} ${h.ip.padEnd(14)} mgmt ${h.mgmtIp}  profile ${h.profile}`);
      for (const ns of await labStatus(lab.name)) {
        console.log(`  netns ${ns.netns.padEnd(22)} pids ${ns.pids.join(' ') || '-'}`);
      }
    }
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof LabError) {
    console.error(`lab: ${err.message} [${err.code}]`);
  } else {
    console.error(`lab: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  process.exitCode = 1;
});
