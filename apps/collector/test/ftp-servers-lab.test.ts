/**
 * The collector finds the FTP server on real lab hosts: which one listens on port 21 (the listening socket's
 * process), its config from its command line (vsftpd, Pure-FTPd) or a flag (ProFTPD rewrites its command
 * line), and says what to do when it cannot (no config, no privileges), without failing.
 */
import { randomBytes } from 'node:crypto';
import { createLab, type FtpServerKind, type Lab } from '@ftpscope/lab';
import type { FtpServerSettings } from '@ftpscope/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realExec, withNetns } from '../src/exec.ts';
import { FtpServerSource } from '../src/ftp-servers/server-source.ts';
import type { Exec } from '../src/host-monitor.types.ts';
import type { OnceHost } from '../src/once.ts';
import { collector } from './cli-run.ts';

const labs = new Map<FtpServerKind, Lab>();

beforeAll(async () => {
  const tag = randomBytes(2).toString('hex');
  await Promise.all(
    (['vsftpd', 'proftpd', 'pure-ftpd'] as const).map(async (server) => {
      labs.set(
        server,
        await createLab({ name: `fd${server.slice(0, 2)}${tag}`, hosts: 1, profile: 'healthy', server }),
      );
    }),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all([...labs.values()].map((l) => l.down()));
}, 60_000);

async function once(
  server: FtpServerKind,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<OnceHost> {
  const host = (labs.get(server) as Lab).host('ftp1');
  const run = await collector(['--once', '--json', '--netns', host.netns, '--name', 'ftp1', ...extra], {
    env,
  });
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { hosts: OnceHost[] }).hosts[0] as OnceHost;
}

describe('the collector finds the FTP server by its listening process', { timeout: 60_000 }, () => {
  for (const server of ['vsftpd', 'pure-ftpd'] as const) {
    it(`${server}: kind and config from the process's command line, no flags`, async () => {
      const host = (labs.get(server) as Lab).host('ftp1');
      const h = await once(server);
      expect(h.settings).toMatchObject({
        server,
        source: 'process',
        configPath: host.serverConf,
        pasvMinPort: host.passiveRange[0],
        pasvMaxPort: host.passiveRange[1],
      });
      expect(h.info?.capabilities).toEqual(expect.arrayContaining(['ftp-settings', 'ftp-log']));
    });
  }

  it('proftpd: found, but its rewritten command line names no config: a problem naming --ftp-conf; with it, settings', async () => {
    const host = (labs.get('proftpd') as Lab).host('ftp1');
    const bare = await once('proftpd');
    expect(bare.settings).toBeNull();
    expect(bare.problems.join('\n')).toMatch(/proftpd listens on the control port \(pid \d+\).*--ftp-conf/);
    const h = await once('proftpd', ['--ftp-conf', host.serverConf]);
    expect(h.settings).toMatchObject({
      server: 'proftpd',
      source: 'flag',
      listenAddress: host.ip,
      logPath: host.logFile,
    });
    expect(h.problems).toEqual([]);
  });

  it('a named config that cannot be read is a problem with what to do, not a crash', async () => {
    const h = await once('vsftpd', ['--ftp-server', 'vsftpd', '--ftp-conf', '/nonexistent/vsftpd.conf']);
    expect(h.settings).toBeNull();
    expect(h.problems.join('\n')).toMatch(
      /cannot read vsftpd config \/nonexistent\/vsftpd\.conf: ENOENT.*--ftp-conf/,
    );
  });
});

describe('the collector looks for the server again without ss while the one found still runs', {
  timeout: 60_000,
}, () => {
  it('rechecks trust the listening pid; after a restart (new pid) ss finds the server again', async () => {
    const lab = labs.get('vsftpd') as Lab;
    const host = lab.host('ftp1');
    let ssRuns = 0;
    const inNs = withNetns(realExec, host.netns);
    const exec: Exec = (file, args, opts) => {
      if (file === 'ss') ssRuns++;
      return inNs(file, args, opts);
    };
    const settings: FtpServerSettings[] = [];
    const problems: string[] = [];
    const source = new FtpServerSource({
      exec,
      ports: [21],
      server: 'auto',
      conf: null,
      log: null,
      onSettings: (s) => settings.push(s),
      onRecords: () => {},
      countUnknown: () => {},
      problem: (p) => problems.push(p),
      now: Date.now,
      recheckMs: 50,
    });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      await source.start();
      expect(settings.at(-1)).toMatchObject({ server: 'vsftpd', configPath: host.serverConf });
      expect(ssRuns).toBe(1);
      await sleep(1000); // ~20 rechecks
      expect(ssRuns).toBe(1);
      await lab.restartServer('ftp1');
      for (const t0 = Date.now(); ssRuns < 2 && Date.now() - t0 < 10_000; ) await sleep(50);
      expect(ssRuns).toBeGreaterThanOrEqual(2);
      await sleep(500);
      const after = ssRuns;
      await sleep(1000); // the new pid is trusted in turn
      expect(ssRuns).toBe(after);
      expect(problems).toEqual([]);
    } finally {
      await source.stop();
    }
  });
});
