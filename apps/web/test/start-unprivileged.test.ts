import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUiIfNeeded } from '../../../scripts/run-stack.ts';
import { freePort, ROOT, until } from './reliability-helpers.ts';

const NOBODY = 65534;

describe('pnpm start as an unprivileged user (nobody)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ftpscope-start-'));
  const dataDir = join(dir, 'data');
  let child: ChildProcess;
  let out = '';
  let port = 0;
  let exit: Promise<number | null>;

  beforeAll(async () => {
    buildUiIfNeeded(); // as root: nobody cannot write apps/web/dist
    chownSync(dir, NOBODY, NOBODY);
    port = await freePort();
    child = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', 'pnpm', 'start'], {
      cwd: ROOT,
      detached: true, // its own process group, so teardown reaches pnpm, the hub and the collector
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        HOME: dir,
        FTPSCOPE_DATA_DIR: dataDir,
        FTPSCOPE_PORT: String(port),
        FTPSCOPE_LOG_LEVEL: 'warn',
      },
    });
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    exit = new Promise((done) => child.once('exit', (code) => done(code)));
  }, 120_000);

  afterAll(async () => {
    try {
      if (child?.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    await exit;
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the hub, and the collector says what it cannot read', async () => {
    const token = await until(
      'the welcome line',
      () => /ftpscope is running: http:\/\/127\.0\.0\.1:\d+\/\?token=([\w-]+)/.exec(out)?.[1],
      90_000,
    );
    const base = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${base}/api/health`)).json()).toMatchObject({ ok: true });
    expect((await fetch(`${base}/`)).status).toBe(200);

    // what it cannot read, and what to do about it
    for (const problem of [
      'not running as root: conntrack, iptables-save, nft and tcpdump need root or CAP_NET_ADMIN',
      // scripts/setup.sh builds the native reader, so the conntrack events come from it
      'conntrack events (native reader): permission denied; run the collector as root or with CAP_NET_ADMIN',
      'iptables-nft-save: permission denied; run the collector as root or with CAP_NET_ADMIN',
      'nft: permission denied; run the collector as root or with CAP_NET_ADMIN',
    ]) {
      await until(problem, () => out.includes(problem) || undefined, 30_000);
    }

    // the collector still reports the host (without firewall backends) to the hub
    const auth = { authorization: `Bearer ${token}` };
    const name =
      hostname()
        .split('.')[0]
        ?.replace(/[^A-Za-z0-9._-]/g, '-') || 'localhost';
    const host = await until(
      'the host in /api/hosts',
      async () => {
        const hosts = (await (await fetch(`${base}/api/hosts`, { headers: auth })).json()) as {
          name: string;
          connected: boolean;
          backends: string[];
        }[];
        return hosts.find((h) => h.name === name && h.connected);
      },
      30_000,
    );
    expect(host.backends).toEqual([]);
    // a stream that cannot start is not "events lost": no restart gaps (the old loop sent one after 1 s)
    await new Promise((r) => setTimeout(r, 3000));
    const gaps = (await (await fetch(`${base}/api/gaps`, { headers: auth })).json()) as { reason: string }[];
    expect(gaps.filter((g) => g.reason.includes('restarted'))).toEqual([]);

    // everything it wrote belongs to the user, the tokens readable by it alone
    expect(statSync(join(dataDir, 'ftpscope.db')).uid).toBe(NOBODY);
    expect(statSync(join(dataDir, 'tokens.json')).mode & 0o777).toBe(0o600);
  }, 180_000);

  it('Ctrl-C (SIGINT to the group) stops the hub and the collector', async () => {
    if (child.pid === undefined) throw new Error('not started');
    const pgid = child.pid;
    process.kill(-pgid, 'SIGINT');
    // pnpm itself exits at once on Ctrl-C (ELIFECYCLE); what matters is that start.ts stops its children
    await until(
      'every process of the group to exit',
      () => {
        try {
          process.kill(-pgid, 0);
          return undefined;
        } catch {
          return true;
        }
      },
      20_000,
    );
    expect(out).toContain('ftpscope: stopping…');
    await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
  }, 30_000);
});
