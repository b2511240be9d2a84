/**
 * The diagnosis scenario matrix (docs/diagnoses.md) on the real lab: real vsftpd, lftp/curl,
 * iptables/nft and conntrack in namespaces, the real collector (its CLI, as a child process) and the
 * real hub (buildApp, in process). Each scenario gets a fresh hub and collector on a host whose
 * conntrack table was flushed, and asserts the exact set of diagnoses: the expected ones within 10 s
 * of the client's first failed data channel, and no other one afterwards.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab, type LabHost } from '@ftpscope/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_BASELINE_MS } from '../src/server/diagnoses/thresholds.ts';
import { expectDiagnoses, startStack as startDiagnosisStack, until } from './diagnoses-stack.ts';

const LAB = `dm${randomBytes(3).toString('hex')}`;

let lab: Lab;
let host: LabHost;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ftpscope-matrix-'));
  lab = await createLab({ name: LAB, hosts: 1, profile: 'healthy', ipv6: true });
  host = lab.host('ftp1');
}, 120_000);

afterAll(async () => {
  await lab?.down();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function ok(target: string, argv: string[]): Promise<string> {
  const r = await lab.exec(target, argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed in ${target}: ${r.stderr}`);
  return r.stdout;
}

/** Back to the healthy profile with an empty conntrack table, so no scenario sees another's sessions. */
async function reset(): Promise<void> {
  await lab.setProfile(host.name, 'healthy');
  await lab.exec(host.name, ['conntrack', '-F']);
  await lab.exec(host.name, ['conntrack', '-F', 'expect']);
}

/** A fresh hub and a real collector process watching the lab host. */
const startStack = (extraArgs: string[] = [], conf = host.vsftpdConf) =>
  startDiagnosisStack(host, dir, extraArgs, conf);

/** Stops the lab's own IPv4 vsftpd of the host (found by its config path); returns a restarter. */
async function pauseLabVsftpd(): Promise<() => void> {
  const pids = spawnSyncOut('ip', ['netns', 'pids', host.netns]).split('\n').filter(Boolean).map(Number);
  for (const pid of pids) {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (cmd[0]?.endsWith('vsftpd') && cmd[1] === host.vsftpdConf) process.kill(pid, 'SIGTERM');
  }
  await until(
    () =>
      spawnSyncOut('ip', [
        'netns',
        'exec',
        host.netns,
        'ss',
        '-Hltn',
        `src ${host.ip}`,
        'sport = :21',
      ]).trim() === '',
    5000,
    'the lab vsftpd did not stop',
  );
  // Restarted detached, like the lab does; `lab.down` kills every process left in the namespace.
  return () =>
    spawn('ip', ['netns', 'exec', host.netns, 'vsftpd', host.vsftpdConf], {
      detached: true,
      stdio: 'ignore',
    }).unref();
}

/** Starts an extra vsftpd in the host namespace with a modified copy of its config; returns a stopper. */
async function extraVsftpd(
  name: string,
  edit: (conf: string) => string,
  port: number,
): Promise<() => Promise<void>> {
  const conf = join(dir, `${name}.conf`);
  writeFileSync(conf, edit(readFileSync(host.vsftpdConf, 'utf8')));
  const child = spawn('ip', ['netns', 'exec', host.netns, 'vsftpd', conf], { stdio: 'ignore' });
  await until(
    () => {
      const r = spawnSyncOut('ip', ['netns', 'exec', host.netns, 'ss', '-Hltn', `sport = :${port}`]);
      return r.split('\n').filter(Boolean).length > 0;
    },
    5000,
    `vsftpd ${name} did not listen on ${port}`,
  );
  return async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
}

function spawnSyncOut(file: string, args: string[]): string {
  return execFileSync(file, args, { encoding: 'utf8' });
}

describe('diagnosis scenario matrix (real lab, collector and hub)', { timeout: 90_000 }, () => {
  it('healthy under load (lftp + curl, passive + active): no diagnosis at all', async () => {
    await reset();
    const stack = await startStack();
    try {
      await expectDiagnoses(
        stack,
        async () => {
          const [load, active, curl] = await Promise.all([
            lab.load(host.name, { mode: 'passive', sessions: 4, seconds: 12 }),
            lab.ls(host.name, { mode: 'active' }),
            lab.get(host.name, 'small.txt', { mode: 'passive', client: 'curl' }),
          ]);
          expect(load.transfers).toBeGreaterThan(10);
          expect(load.failures).toBe(0);
          expect(active.ok && curl.ok).toBe(true);
        },
        [],
        5000,
      );
      // The quiet was earned: the hub saw the traffic, helper and expectations included.
      const seen = () => {
        const w = stack.app.diagnoses.window(host.name);
        const helped = w?.sessions.filter((x) => x.helper === 'ftp').length ?? 0;
        const fulfilled = w?.expectations.filter((e) => e.fulfilledAt !== null).length ?? 0;
        return helped > 10 && fulfilled > 10;
      };
      await until(seen, 20_000, 'more than 10 helper sessions and fulfilled expectations in the hub window');
    } finally {
      await stack.stop();
    }
  });

  it('nft-healthy, passive get: no diagnosis', async () => {
    await reset();
    await lab.setProfile(host.name, 'nft-healthy');
    const stack = await startStack();
    try {
      await expectDiagnoses(
        stack,
        async () => expect((await lab.get(host.name, '1MB.bin', { mode: 'passive' })).ok).toBe(true),
        [],
      );
    } finally {
      await stack.stop();
    }
  });

  it('hardened-no-helper, lftp passive ls: ftp-helper-not-assigned', async () => {
    await reset();
    await lab.setProfile(host.name, 'hardened-no-helper');
    const stack = await startStack();
    try {
      await expectDiagnoses(stack, () => lab.ls(host.name, { mode: 'passive' }), ['ftp-helper-not-assigned']);
      const [d] = stack.app.diagnoses.active(host.name);
      expect(d?.explanation).toMatch(/\d+ packets? on INPUT policy DROP/);
      expect(d?.fix).toContain('iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp');
    } finally {
      await stack.stop();
    }
  });

  it('open → hardened-no-helper while watched, passive ls: ftp-helper-not-assigned + drops-after-ruleset-change', async () => {
    await reset();
    await lab.setProfile(host.name, 'open');
    const stack = await startStack();
    try {
      // A baseline of counters before the change (the rule compares drop rates before and after it).
      await until(
        () => {
          const since = stack.app.diagnoses.window(host.name)?.countersSince;
          return since != null && Date.now() - since > MIN_BASELINE_MS + 1000;
        },
        30_000,
        'no counter baseline before the change',
      );
      await lab.setProfile(host.name, 'hardened-no-helper');
      await until(
        () => (stack.app.diagnoses.window(host.name)?.rulesetChanges.length ?? 0) > 0,
        10_000,
        'no ruleset change arrived',
      );
      await expectDiagnoses(stack, () => lab.ls(host.name, { mode: 'passive' }), [
        'drops-after-ruleset-change',
        'ftp-helper-not-assigned',
      ]);
    } finally {
      await stack.stop();
    }
  });

  it('no-related, curl passive ls: related-not-accepted', async () => {
    await reset();
    await lab.setProfile(host.name, 'no-related');
    const stack = await startStack();
    try {
      await expectDiagnoses(stack, () => lab.ls(host.name, { mode: 'passive', client: 'curl' }), [
        'related-not-accepted',
      ]);
    } finally {
      await stack.stop();
    }
  });

  it('healthy + OUTPUT drops from port 20, lftp active ls: active-mode-blocked', async () => {
    await reset();
    await ok(host.name, ['iptables', '-A', 'OUTPUT', '-p', 'tcp', '--sport', '20', '-j', 'DROP']);
    const stack = await startStack();
    try {
      await expectDiagnoses(stack, () => lab.ls(host.name, { mode: 'active' }), ['active-mode-blocked']);
    } finally {
      await stack.stop();
    }
  });

  it('healthy + the client side drops its data SYNs (upstream firewall), passive ls: expectations-unused', async () => {
    await reset();
    const rule = [
      'OUTPUT',
      '-d',
      host.ip,
      '-p',
      'tcp',
      '--dport',
      `${host.passiveRange[0]}:${host.passiveRange[1]}`,
      '-j',
      'DROP',
    ];
    await ok('client', ['iptables', '-A', ...rule]);
    const stack = await startStack();
    try {
      await expectDiagnoses(stack, () => lab.ls(host.name, { mode: 'passive' }), ['expectations-unused']);
    } finally {
      await stack.stop();
      await ok('client', ['iptables', '-D', ...rule]);
    }
  });

  it('healthy + INPUT opens only half the passive range: passive-range-mismatch', async () => {
    await reset();
    const half = `${host.passiveRange[0]}:${host.passiveRange[0] + 49}`;
    await ok(host.name, [
      'iptables',
      '-I',
      'INPUT',
      '2',
      '-p',
      'tcp',
      '-m',
      'multiport',
      '--dports',
      half,
      '-j',
      'ACCEPT',
    ]);
    const stack = await startStack();
    try {
      await expectDiagnoses(
        stack,
        async () => expect((await lab.ls(host.name, { mode: 'passive' })).ok).toBe(true),
        ['passive-range-mismatch'],
      );
      expect(stack.app.diagnoses.active(host.name)[0]?.severity).toBe('warning');
    } finally {
      await stack.stop();
    }
  });

  it('healthy with the ip6tables helper rule removed, lftp passive ls over IPv6: helper-ipv4-only', async () => {
    await reset();
    await ok(host.name, ['ip6tables', '-t', 'raw', '-F', 'PREROUTING']);
    const stack = await startStack();
    try {
      await expectDiagnoses(stack, () => lab.ls(host.name, { mode: 'passive', ipv6: true }), [
        'helper-ipv4-only',
      ]);
    } finally {
      await stack.stop();
    }
  });

  it('vsftpd on 2121 with the helper rule on 21, lftp passive ls: nonstandard-control-port', async () => {
    await reset();
    await ok(host.name, [
      'iptables',
      '-I',
      'INPUT',
      '2',
      '-p',
      'tcp',
      '--dport',
      '2121',
      '-m',
      'state',
      '--state',
      'NEW',
      '-j',
      'ACCEPT',
    ]);
    const stop2121 = await extraVsftpd('port2121', (c) => `${c}listen_port=2121\n`, 2121);
    const stack = await startStack(['--ftp-ports', '21,2121']);
    try {
      const lftp = [
        'timeout',
        '8',
        'lftp',
        '-c',
        `set ftp:passive-mode on; set ftp:prefer-epsv off; set net:timeout 2; set net:max-retries 1; open -p 2121 -u anonymous,lab@ ftp://${host.ip}; ls; quit`,
      ];
      await expectDiagnoses(stack, () => lab.exec('client', lftp), ['nonstandard-control-port']);
      // The lab's config still says port 21, so the port came from the sessions the collector saw.
      expect(stack.app.diagnoses.active(host.name)[0]?.id).toMatch(
        new RegExp(`^${host.name}:nonstandard-control-port:2121@\\d+$`),
      );
    } finally {
      await stack.stop();
      await stop2121();
    }
  });

  it('vsftpd with TLS (self-signed), lftp ftp:ssl-force passive ls: helper-blind-tls', async () => {
    await reset();
    const key = join(dir, 'tls-key.pem');
    const cert = join(dir, 'tls-cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=ftpscope-lab',
      ],
      { stdio: 'ignore' },
    );
    const resume = await pauseLabVsftpd();
    const tlsConf = (c: string) =>
      `${c}ssl_enable=YES\nallow_anon_ssl=YES\nrsa_cert_file=${cert}\nrsa_private_key_file=${key}\nssl_ciphers=HIGH\nrequire_ssl_reuse=NO\n`;
    const stopTls = await extraVsftpd('tls', tlsConf, 21);
    const stack = await startStack([], join(dir, 'tls.conf'));
    try {
      expect(stack.app.diagnoses.window(host.name)?.settings?.tls).toBe(true);
      const lftp = [
        'timeout',
        '8',
        'lftp',
        '-c',
        `set ftp:ssl-force true; set ftp:ssl-protect-data true; set ssl:verify-certificate no; set ftp:passive-mode on; set ftp:prefer-epsv off; set net:timeout 2; set net:max-retries 1; open -u anonymous,lab@ ftp://${host.ip}; ls; quit`,
      ];
      await expectDiagnoses(stack, () => lab.exec('client', lftp), ['helper-blind-tls']);
      const w = stack.app.diagnoses.window(host.name);
      expect(w?.sessions.some((x) => x.helper === 'ftp')).toBe(true);
      expect(w?.expectations).toEqual([]);
    } finally {
      await stack.stop();
      await stopTls();
      resume();
    }
  });
});
