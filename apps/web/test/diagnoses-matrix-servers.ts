/**
 * The helper-related and passive-range scenarios of the diagnosis matrix (diagnoses-matrix.test.ts runs
 * them, and the rest, on vsftpd) on another FTP server: real ProFTPD or Pure-FTPd, lftp/curl, iptables
 * and conntrack, the collector CLI (finding the server by its listening process) and the hub. Each
 * scenario asserts the exact set of diagnoses. One test file per server, so the two run in parallel.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type FtpServerKind, type Lab, type LabHost } from '@ftpscope/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectDiagnoses, startStack } from './diagnoses-stack.ts';

/** Registers the matrix of one server (call at the top level of a test file). */
export function serverMatrix(server: Exclude<FtpServerKind, 'vsftpd'>): void {
  let lab: Lab;
  let host: LabHost;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `ftpscope-matrix-${server}-`));
    lab = await createLab({
      name: `m${server.slice(0, 2)}${randomBytes(2).toString('hex')}`,
      hosts: 1,
      profile: 'healthy',
      ipv6: true,
      server,
    });
    host = lab.host('ftp1');
  }, 120_000);

  afterAll(async () => {
    await lab?.down();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const ok = async (target: string, argv: string[]) => {
    const r = await lab.exec(target, argv);
    if (r.code !== 0) throw new Error(`${argv.join(' ')} failed in ${target}: ${r.stderr}`);
  };
  /** Back to the healthy profile and the plain server, with an empty conntrack table. */
  const reset = async () => {
    await lab.setProfile(host.name, 'healthy');
    await lab.exec(host.name, ['conntrack', '-F']);
    await lab.exec(host.name, ['conntrack', '-F', 'expect']);
  };
  const stackFor = (extra: string[] = []) => startStack(host, dir, extra);
  const lftp = (script: string, port = 21) => [
    'timeout',
    '8',
    'lftp',
    '-c',
    `set ftp:passive-mode on; set ftp:prefer-epsv off; set net:timeout 2; set net:max-retries 1; ${script}; open -p ${port} -u anonymous,lab@ ftp://${host.ip}; ls; quit`,
  ];

  describe(`diagnosis scenario matrix on ${server} (real lab, collector and hub)`, {
    timeout: 90_000,
  }, () => {
    it('healthy (lftp and curl, passive and active): no diagnosis, and the collector read the server', async () => {
      await reset();
      const stack = await stackFor();
      try {
        expect(stack.app.diagnoses.window(host.name)?.settings).toMatchObject({
          server,
          source: 'flag',
          pasvMinPort: host.passiveRange[0],
          pasvMaxPort: host.passiveRange[1],
        });
        await expectDiagnoses(stack, async () => {
          const [a, b, c] = await Promise.all([
            lab.ls(host.name, { mode: 'passive' }),
            lab.get(host.name, '1MB.bin', { mode: 'passive', client: 'curl' }),
            lab.ls(host.name, { mode: 'active' }),
          ]);
          expect(a.ok && b.ok && c.ok).toBe(true);
        }, []);
      } finally {
        await stack.stop();
      }
    });

    it('hardened-no-helper, lftp passive ls: ftp-helper-not-assigned', async () => {
      await reset();
      await lab.setProfile(host.name, 'hardened-no-helper');
      const stack = await stackFor();
      try {
        await expectDiagnoses(stack, () => lab.ls(host.name, { mode: 'passive' }), [
          'ftp-helper-not-assigned',
        ]);
      } finally {
        await stack.stop();
      }
    });

    it('no-related, curl passive ls: related-not-accepted', async () => {
      await reset();
      await lab.setProfile(host.name, 'no-related');
      const stack = await stackFor();
      try {
        await expectDiagnoses(stack, () => lab.ls(host.name, { mode: 'passive', client: 'curl' }), [
          'related-not-accepted',
        ]);
      } finally {
        await stack.stop();
      }
    });

    it('healthy + the client side drops its data SYNs, passive ls: expectations-unused', async () => {
      await reset();
      const rule = [
        'OUTPUT',
        '-d',
        host.ip,
        '-p',
        'tcp',
        '--dport',
        host.passiveRange.join(':'),
        '-j',
        'DROP',
      ];
      await ok('client', ['iptables', '-A', ...rule]);
      const stack = await stackFor();
      try {
        await expectDiagnoses(stack, () => lab.ls(host.name, { mode: 'passive' }), ['expectations-unused']);
      } finally {
        await stack.stop();
        await ok('client', ['iptables', '-D', ...rule]);
      }
    });

    it("healthy + INPUT opens only half of the server's passive range: passive-range-mismatch", async () => {
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
      const stack = await stackFor();
      try {
        await expectDiagnoses(
          stack,
          async () => expect((await lab.ls(host.name, { mode: 'passive' })).ok).toBe(true),
          ['passive-range-mismatch'],
        );
        const [d] = stack.app.diagnoses.active(host.name);
        expect(d?.severity).toBe('warning');
        // Said in the server's own terms.
        expect(d?.explanation).toContain(server === 'proftpd' ? 'PassivePorts' : 'PassivePortRange');
      } finally {
        await stack.stop();
      }
    });

    it('ip6tables helper rule removed, lftp passive ls over IPv6: helper-ipv4-only', async () => {
      await reset();
      await ok(host.name, ['ip6tables', '-t', 'raw', '-F', 'PREROUTING']);
      const stack = await stackFor();
      try {
        await expectDiagnoses(stack, () => lab.ls(host.name, { mode: 'passive', ipv6: true }), [
          'helper-ipv4-only',
        ]);
      } finally {
        await stack.stop();
      }
    });

    it('a second instance on 2121, helper rule on 21, lftp passive ls: nonstandard-control-port', async () => {
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
      const extra = await lab.startExtraServer(host.name, { instance: `${server}-2121`, port: 2121 });
      const stack = await stackFor(['--ftp-ports', '21,2121']);
      try {
        await expectDiagnoses(stack, () => lab.exec('client', lftp('set cmd:fail-exit yes', 2121)), [
          'nonstandard-control-port',
        ]);
        expect(stack.app.diagnoses.active(host.name)[0]?.id).toMatch(
          new RegExp(`^${host.name}:nonstandard-control-port:2121@\\d+$`),
        );
      } finally {
        await stack.stop();
        await extra.stop();
      }
    });

    it('TLS offered (self-signed), lftp ftp:ssl-force passive ls: helper-blind-tls', async () => {
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
      await lab.reconfigureServer(host.name, { tls: { cert, key } });
      const stack = await stackFor();
      try {
        expect(stack.app.diagnoses.window(host.name)?.settings).toMatchObject({
          tls: true,
          tlsMode: 'optional',
        });
        await expectDiagnoses(
          stack,
          () =>
            lab.exec(
              'client',
              lftp('set ftp:ssl-force true; set ftp:ssl-protect-data true; set ssl:verify-certificate no'),
            ),
          ['helper-blind-tls'],
        );
        const w = stack.app.diagnoses.window(host.name);
        expect(w?.sessions.some((s) => s.helper === 'ftp' && s.tls)).toBe(true);
        expect(w?.expectations).toEqual([]);
      } finally {
        await stack.stop();
        await lab.reconfigureServer(host.name, {});
      }
    });
  });
}
