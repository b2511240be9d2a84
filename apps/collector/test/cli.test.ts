import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab } from '@ftpscope/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnceHost } from '../src/once.ts';
import { collector } from './cli-run.ts';

const LAB = `cli${process.pid % 100000}`;

let lab: Lab;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ftpscope-cli-'));
  lab = await createLab({ name: LAB, hosts: 1, profile: 'healthy' });
});
afterAll(async () => {
  await lab?.down();
  rmSync(dir, { recursive: true, force: true });
});

describe('pnpm collector', () => {
  it('--once --json prints the snapshot of a lab host: its passive get, rules with counters, health', async () => {
    const host = lab.host('ftp1');
    const got = await lab.get('ftp1', 'small.txt', { mode: 'passive' });
    expect(got.ok, got.stderr).toBe(true);
    const run = await collector([
      '--once',
      '--json',
      '--netns',
      host.netns,
      '--name',
      'ftp1',
      '--vsftpd-conf',
      host.vsftpdConf,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { hosts: OnceHost[] };
    expect(out.hosts).toHaveLength(1);
    const h = out.hosts[0] as OnceHost;
    expect(h).toMatchObject({ name: 'ftp1', netns: host.netns, problems: [] });
    expect(h.info?.backends).toContain('iptables-nft');
    // The control session of the get is still in conntrack (TIME_WAIT), with the helper.
    expect(h.sessions.some((s) => s.client.ip === lab.client.ip && s.helper === 'ftp')).toBe(true);
    const policy = h.rules.find((r) => r.table === 'filter' && r.chain === 'INPUT' && r.isPolicy);
    expect(policy).toMatchObject({ verdict: 'drop', packets: expect.any(Number) });
    expect(h.health?.conntrackMax).toBeGreaterThan(0);
    expect(h.settings).toMatchObject({ listenPort: 21, pasvMinPort: host.passiveRange[0] });
  });

  it('--once --json during a passive transfer shows the session as passive with its expectation and data connection', async () => {
    const host = lab.host('ftp1');
    // A slow download (20 kB/s of 1 MB) from a fresh client, still running while the snapshot is taken.
    const client = spawn(
      'ip',
      [
        ...['netns', 'exec', lab.client.netns, 'lftp', '-e'],
        'set ftp:passive-mode on; set net:limit-rate 20000; cat 1MB.bin > /dev/null; bye',
        `ftp://anonymous:x@${host.ip}`,
      ],
      { stdio: 'ignore' },
    );
    try {
      // The data connection is up once conntrack has it established to the passive range.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const ct = await lab.exec('ftp1', ['conntrack', '-L', '-p', 'tcp', '--status', 'EXPECTED']);
        if (/ESTABLISHED/.test(ct.stdout)) break;
        if (Date.now() > deadline)
          throw new Error(`no data connection within 10 s: ${ct.stdout}${ct.stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const run = await collector([
        '--once',
        '--json',
        '--netns',
        host.netns,
        '--vsftpd-conf',
        host.vsftpdConf,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const h = (JSON.parse(run.stdout) as { hosts: OnceHost[] }).hosts[0] as OnceHost;
      expect(h.info?.capabilities).toContain('conntrack-native');
      const d = h.dataConnections.find((x) => x.state === 'ESTABLISHED' && x.endedAt === null);
      expect(d, JSON.stringify(h.dataConnections)).toMatchObject({
        mode: 'passive',
        attribution: 'expectation',
      });
      const s = h.sessions.find((x) => x.id === d?.sessionId);
      expect(s).toMatchObject({ state: 'ESTABLISHED', mode: 'passive', helper: 'ftp', endedAt: null });
      const e = h.expectations.find((x) => x.id === d?.expectationId);
      expect(e).toMatchObject({ sessionId: s?.id, mode: 'passive', port: d?.serverPort });
      expect(e?.fulfilledAt).not.toBeNull();
      expect(d?.serverPort).toBeGreaterThanOrEqual(host.passiveRange[0]);
      expect(d?.serverPort).toBeLessThanOrEqual(host.passiveRange[1]);
    } finally {
      client.kill();
    }
  });

  it('--help exits 0 and documents env vars; bad flags exit 2 naming the flag', async () => {
    const help = await collector(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('FTPSCOPE_HUB');
    const bad = await collector(['--once', '--interval', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--interval');
    const noHub = await collector(['--name', 'x'], { env: { FTPSCOPE_TOKEN: 't' } });
    expect(noHub.code).toBe(2);
    expect(noHub.stderr).toContain('--hub');
  });

  it('keeps running while the hub is down, and SIGTERM spools and exits 0', async () => {
    // A port nobody listens on: reserve one, then free it.
    const port = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => r(p));
      });
    });
    const host = lab.host('ftp1');
    const spool = join(dir, 'spool');
    const run = await collector(
      ['--hub', `ws://127.0.0.1:${port}`, '--netns', host.netns, '--name', 'ftp1', '--spool', spool],
      {
        env: { FTPSCOPE_TOKEN: 'secret-cli-token', FTPSCOPE_LOG_LEVEL: 'info' },
        onStart: (child) => {
          // Stop it once it has tried the hub and is retrying (or after 30 s, which then fails below).
          let seen = '';
          let scheduled = false;
          const stop = setTimeout(() => child.kill('SIGTERM'), 30_000);
          child.stderr?.on('data', (d) => {
            seen += d;
            // Once: a second retry line within 500 ms scheduled a second SIGTERM (the collector's "exit now").
            if (seen.includes('cannot reach the hub') && !scheduled) {
              scheduled = true;
              clearTimeout(stop);
              setTimeout(() => child.kill('SIGTERM'), 500);
            }
          });
        },
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('cannot reach the hub');
    expect(run.stderr).toContain('stopping');
    expect(run.stderr).not.toContain('secret-cli-token');
    expect(existsSync(join(spool, 'ftp1', 'stream.json'))).toBe(true);
  });
});
