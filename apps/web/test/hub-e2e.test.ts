import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLab, type Lab } from '@ftpscope/lab';
import type { RulesetChangeView, RuleView, SessionView, TimelineItem } from '@ftpscope/shared';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/server/app.ts';
import { CollectorAuth } from '../src/server/ingest/collector-auth.ts';

const TSX = resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');
const COLLECTOR = resolve(import.meta.dirname, '../../collector/src/main.ts');
const LAB = `hub${process.pid % 100000}`;
const API = 'e2e-api-token';
const COLLECTOR_TOKEN = 'e2e-collector-token';
const auth = { authorization: `Bearer ${API}` };

let lab: Lab;
let dir: string;
let app: FastifyInstance;
let collector: ChildProcess | null = null;
let collectorLog = '';

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}\ncollector log:\n${collectorLog.slice(-3000)}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function get<T>(url: string): Promise<T> {
  const res = await app.inject({ url, headers: auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as T;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ftpscope-hub-e2e-'));
  lab = await createLab({ name: LAB, hosts: 1, profile: 'healthy' });
  app = await buildApp({
    db: join(dir, 'hub.db'),
    apiToken: API,
    collectorAuth: CollectorAuth.single(COLLECTOR_TOKEN),
    retentionIntervalMs: 0,
    uiDir: join(dir, 'no-ui'),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const host = lab.host('ftp1');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FTPSCOPE_')));
  collector = spawn(
    TSX,
    [
      COLLECTOR,
      '--hub',
      `ws://127.0.0.1:${port}`,
      '--netns',
      host.netns,
      '--name',
      'ftp1',
      '--vsftpd-conf',
      host.vsftpdConf,
      '--spool',
      join(dir, 'spool'),
      '--log-level',
      'info',
    ],
    { env: { ...env, FTPSCOPE_TOKEN: COLLECTOR_TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  collector.stdout?.on('data', (d) => (collectorLog += d));
  collector.stderr?.on('data', (d) => (collectorLog += d));
  await until(
    'the collector to connect',
    async () => (app.collectors.has('ftp1') ? true : undefined),
    30_000,
  );
}, 120_000);

afterAll(async () => {
  if (collector && collector.exitCode === null) {
    const exited = new Promise((r) => collector?.once('exit', r));
    collector.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (collector.exitCode === null) collector.kill('SIGKILL');
  }
  await app?.close();
  await lab?.down();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('real collector → hub → API on the lab', () => {
  it('a passive get shows as a passive session with its fulfilled expectation within 2 s', async () => {
    const got = await lab.get('ftp1', 'small.txt', { mode: 'passive' });
    expect(got.ok, got.stderr).toBe(true);
    const done = Date.now();
    const session = await until(
      'the passive session',
      async () => {
        const list = await get<SessionView[]>(`/api/hosts/ftp1/sessions?client=${lab.client.ip}`);
        return list.find((s) => s.mode === 'passive' && s.expectations.some((e) => e.fulfilledAt !== null));
      },
      10_000,
    );
    const latency = Date.now() - done;
    console.info(`passive session visible in the API ${latency} ms after the get finished`);
    expect(latency).toBeLessThan(2000);
    expect(session).toMatchObject({ helper: 'ftp', server: { port: 21 } });
    expect(session.dataConnections.some((d) => d.established)).toBe(true);
  });

  it('hardened-no-helper: INPUT policy drops show in dropsLastMinute and the switch shows as a ruleset change', async () => {
    const before = Date.now();
    await lab.setProfile('ftp1', 'hardened-no-helper');
    const ls = await lab.ls('ftp1', { mode: 'passive', timeoutMs: 6000 });
    expect(ls.ok).toBe(false);
    const policy = await until(
      'drops on the INPUT policy',
      async () => {
        const rules = await get<RuleView[]>('/api/hosts/ftp1/rules');
        return rules.find(
          (r) =>
            r.family === 'ipv4' &&
            r.table === 'filter' &&
            r.chain === 'INPUT' &&
            r.isPolicy &&
            r.dropsLastMinute > 0,
        );
      },
      15_000,
    );
    expect(policy.verdict).toBe('drop');
    // No NFLOG rule here and the dropped data SYN never reached conntrack: only the policy counter saw it,
    // and the client's timeline shows it.
    const since = new Date(before - 1000).toISOString();
    const ruleDrops = await until(
      'rule drops in the client timeline',
      async () =>
        (await get<TimelineItem[]>(`/api/timeline?client=${lab.client.ip}&from=${since}`)).find(
          (i) => i.type === 'rule-drops' && i.host === 'ftp1' && i.ref === policy.id,
        ),
      15_000,
    );
    expect(ruleDrops).toMatchObject({
      problem: true,
      summary: expect.stringMatching(/^INPUT policy DROP: \d+ packets? dropped/),
    });
    const changes = await get<RulesetChangeView[]>(
      `/api/hosts/ftp1/ruleset-changes?from=${new Date(before - 1000).toISOString()}`,
    );
    expect(changes.length).toBeGreaterThan(0);
    // healthy → hardened-no-helper removes the raw-table CT --helper ftp rule.
    const removed = changes.flatMap((c) => c.removed);
    expect(removed.some((t) => t.includes('--helper ftp'))).toBe(true);
  });
});
