import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createLab, type Lab } from '@ftpscope/lab';
import type { RuleView, SeriesPoint } from '@ftpscope/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  Child,
  COLLECTOR_MAIN,
  freePort,
  type HubProcess,
  sleep,
  startHub,
  until,
  workDir,
} from './reliability-helpers.ts';

const API_TOKEN = 'counters-api-token';
const COLLECTOR_TOKEN = 'counters-collector-token';
const LAB = `rc${process.pid.toString(36).slice(-5)}`;
const HOST = 'cnt1';
const HOUR = 3_600_000;

let lab: Lab;
const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  lab = await createLab({ name: LAB, hosts: 1, profile: 'hardened-no-helper' });
}, 120_000);
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await lab?.down();
});

/** The INPUT policy's packet counter as the kernel has it (`iptables-save -c`: `:INPUT DROP [P:B]`). */
async function kernelPolicyPackets(): Promise<number> {
  const r = await lab.exec('ftp1', ['iptables-save', '-c', '-t', 'filter']);
  const m = /^:INPUT DROP \[(\d+):\d+\]/m.exec(r.stdout);
  if (!m) throw new Error(`no INPUT policy in: ${r.stdout}`);
  return Number(m[1]);
}

describe('rule counters across restarts', () => {
  it('promise: stored drops equal the kernel counter after hub kill -9 ×5 and a collector kill -9 (deltas stored once)', {
    timeout: 180_000,
  }, async () => {
    const { dir, cleanup } = workDir('counters');
    cleanups.push(cleanup);
    const port = await freePort();
    const db = join(dir, 'hub.db');
    const h = lab.host('ftp1');
    // From zero, so that every drop the kernel counts is one the collector sees move.
    expect((await lab.exec('ftp1', ['iptables', '-Z'])).code).toBe(0);
    let hub: HubProcess = await startHub({ port, db, apiToken: API_TOKEN, collectorToken: COLLECTOR_TOKEN });
    const startCollector = () =>
      new Child(
        COLLECTOR_MAIN,
        [
          ...['--hub', `ws://127.0.0.1:${port}`, '--name', HOST, '--netns', h.netns],
          ...['--spool', join(dir, 'spool'), '--interval', '500', '--log-level', 'warn'],
        ],
        { FTPSCOPE_TOKEN: COLLECTOR_TOKEN },
      );
    let collector = startCollector();
    cleanups.push(async () => {
      await collector.kill9();
      await hub.kill9();
    });
    const get = <T>(path: string) => api<T>(hub.url, path, API_TOKEN);
    const connected = () =>
      until(
        'the collector to be connected',
        async () =>
          (await get<{ name: string; connected: boolean }[]>('/api/hosts')).some(
            (x) => x.name === HOST && x.connected,
          ),
        30_000,
      );
    const policy = async () =>
      (await get<RuleView[]>(`/api/hosts/${HOST}/rules`)).find(
        (r) => r.table === 'filter' && r.chain === 'INPUT' && r.isPolicy && r.family === 'ipv4',
      );
    await connected();
    const rule = await until('the INPUT policy to be stored', policy, 20_000);
    const startedAt = Date.now();

    // SYNs to the passive range, one every ~0.1 s, all dropped by the INPUT policy (no helper, no expectation).
    const load = spawn(
      'ip',
      [
        ...['netns', 'exec', lab.client.netns, 'bash', '-c'],
        `while :; do timeout 0.2 bash -c '</dev/tcp/${h.ip}/${h.passiveRange[0]}' 2>/dev/null; sleep 0.1; done`,
      ],
      { stdio: 'ignore', detached: true },
    );
    cleanups.push(() => {
      try {
        process.kill(-(load.pid as number), 'SIGKILL');
      } catch {}
    });
    /** Waits until the hub has stored counters that moved since `since` packets. */
    const moved = (since: number) =>
      until('new drops to be stored', async () => ((await policy())?.packets ?? 0) > since, 20_000);

    for (let i = 0; i < 5; i++) {
      await moved((await policy())?.packets ?? 0);
      await hub.kill9();
      await sleep(300 + 200 * i); // drops keep coming while the hub is down; the collector spools
      hub = await startHub({ port, db, apiToken: API_TOKEN, collectorToken: COLLECTOR_TOKEN });
      await connected();
    }
    // The other side: the collector killed, drops counted meanwhile, then started again on the same spool.
    await moved((await policy())?.packets ?? 0);
    await collector.kill9();
    await sleep(1500);
    collector = startCollector();
    await connected();
    await moved((await policy())?.packets ?? 0);
    process.kill(-(load.pid as number), 'SIGKILL');

    // Once the hub's latest total is the kernel's (the counter no longer moves), compare what was stored.
    const kernel = await until(
      'the stored total to reach the kernel counter',
      async () => {
        const k = await kernelPolicyPackets();
        return (await policy())?.packets === k ? k : null;
      },
      20_000,
    );
    const sum = (points: SeriesPoint[]) => points.reduce((n, p) => n + p.packets, 0);
    const series = (from: number, to: number, step: number) =>
      get<SeriesPoint[]>(
        `/api/hosts/${HOST}/rules/${rule.id}/series?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&step=${step}`,
      );
    const now = Date.now() + 60_000;
    const raw = sum(await series(startedAt - 10 * 60_000, now, 60)); // ≤ 6 h: raw samples
    const rollup = sum(await series(now - 7 * HOUR, now, 600)); // > 6 h: the 1-minute rollups
    expect(kernel).toBeGreaterThan(20);
    expect({ raw, rollup }).toEqual({ raw: kernel, rollup: kernel });
  });
});
