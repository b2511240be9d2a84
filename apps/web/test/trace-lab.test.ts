/**
 * On-demand trace end to end: a real hub (in process), the real collector CLI per lab host, real vsftpd and
 * lftp, the kernel's netfilter, tcpdump. A passive `ls` is traced on a host without the FTP helper (its data SYN
 * dropped by the INPUT policy) and on a healthy one (answered); the password a client sent appears nowhere in
 * the hub's database, logs or the trace download.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLab, createWorkstation, type Lab, type LabHost, type Workstation } from '@ftpscope/lab';
import type { TraceStep, TraceSynStep, TraceView } from '@ftpscope/shared';
import type { FastifyInstance } from 'fastify';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/server/app.ts';
import { CollectorAuth } from '../src/server/ingest/collector-auth.ts';
import { buildUi, until } from './reliability-helpers.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const LAB = `tr${process.pid % 100000}`;
const API = 'trace-api-token';
const auth = { authorization: `Bearer ${API}` };
/** What the client sends as its password: it must never leave the FTP host unmasked. */
const SECRET = 'Tr4ceS3cret-0b5cur3';
const ARTIFACTS = join(import.meta.dirname, 'artifacts');

let lab: Lab;
let ws: Workstation;
let dir: string;
let app: FastifyInstance;
const collectors: ChildProcess[] = [];
let hubLog = '';
let collectorLog = '';
let browser: BrowserContext | undefined;
let base = '';

function startCollector(host: LabHost, hub: string): ChildProcess {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FTPSCOPE_')));
  const c = spawn(
    TSX,
    [
      join(ROOT, 'apps/collector/src/main.ts'),
      ...['--hub', `ws://${hub}`, '--netns', host.netns, '--name', host.name],
      ...['--vsftpd-conf', host.vsftpdConf, '--ftp-log', host.logFile, '--interval', '500'],
      ...['--spool', mkdtempSync(join(dir, 'spool-')), '--log-level', 'info'],
    ],
    { env: { ...env, FTPSCOPE_TOKEN: 'trace-collector-token' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  c.stdout?.on('data', (d) => (collectorLog += d));
  c.stderr?.on('data', (d) => (collectorLog += d));
  return c;
}

async function api<T>(method: 'GET' | 'POST', url: string, payload?: object): Promise<T> {
  const res = await app.inject({ method, url, headers: auth, ...(payload && { payload }) });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json() as T;
}

const trace = (id: string) => api<TraceView>('GET', `/api/traces/${id}`);
const syns = (steps: TraceStep[]) => steps.filter((s): s is TraceSynStep => s.kind === 'syn');

/** Starts a trace of the lab client on a host and waits until tcpdump listens (its note is the first step). */
async function startTrace(host: string): Promise<string> {
  const t = await api<TraceView>('POST', `/api/hosts/${host}/traces`, {
    client: lab.client.ip,
    durationSeconds: 60,
  });
  await until(
    `tcpdump listening for the trace on ${host}\n${collectorLog.slice(-2000)}`,
    async () => (await trace(t.id)).steps.some((s) => s.kind === 'note' && s.text.startsWith('capturing')),
    20_000,
  );
  return t.id;
}

/** Polls a trace until `pred` holds, then stops it and waits until it is stored. */
async function finish(id: string, what: string, pred: (t: TraceView) => boolean): Promise<TraceView> {
  let last: TraceView | undefined;
  const poll = async (ok: (t: TraceView) => boolean) => {
    last = await trace(id);
    return ok(last);
  };
  await until(`${what}\n${collectorLog.slice(-2000)}`, () => poll(pred), 40_000).catch((err: Error) => {
    throw new Error(`${err.message}\nlast steps: ${JSON.stringify(last?.steps.slice(-8))}`);
  });
  await api('POST', `/api/traces/${id}/stop`);
  await until(`trace ${id} stored`, () => poll((t) => t.state === 'done'), 15_000);
  return last as TraceView;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ftpscope-trace-lab-'));
  const ui = buildUi(join(dir, 'ui'));
  lab = await createLab({ name: LAB, hosts: 2, profile: 'healthy' });
  ws = await createWorkstation(dir);
  await lab.setProfile('ftp2', 'hardened-no-helper');
  const sink = new Writable({
    write(chunk, _enc, done) {
      hubLog += String(chunk);
      done();
    },
  });
  app = await buildApp({
    db: join(dir, 'hub.db'),
    apiToken: API,
    collectorAuth: CollectorAuth.single('trace-collector-token'),
    retentionIntervalMs: 0,
    uiDir: ui,
    logger: { level: 'debug', stream: sink },
  });
  await app.listen({ host: ws.hubIp, port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  base = `http://${ws.hubIp}:${port}`;
  for (const h of lab.hosts) collectors.push(startCollector(h, `${ws.hubIp}:${port}`));
  // A trace follows a client of the host: log in once on each so the hub knows the client there.
  for (const h of ['ftp1', 'ftp2']) {
    await until(
      `collector of ${h} connected\n${collectorLog.slice(-2000)}`,
      () => app.collectors.has(h),
      30_000,
    );
    await lab.login(h, { mode: 'passive' });
    await until(
      `a session of the client on ${h}`,
      () => app.store.traces.clientKnown(h, lab.client.ip),
      20_000,
    );
  }
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  for (const c of collectors) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const force = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(force);
  }
  await app?.close();
  await lab?.down();
  await ws?.down();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('trace this client', () => {
  it('shows the 227 port and the SYN to it dropped by the INPUT policy without a helper, answered with one; no password anywhere', async () => {
    const [broken, healthy] = await Promise.all([startTrace('ftp2'), startTrace('ftp1')]);
    // The trace page is open while the client works: the ladder fills live.
    browser = await chromium.launchPersistentContext(join(dir, 'chromium'), {
      executablePath: ws.chromium,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    const missing: string[] = [];
    page.on('response', (r) => {
      if (r.status() === 404) missing.push(r.url());
    });
    await page.goto(`${base}/?token=${API}#/traces/${broken}`);
    await page.waitForSelector('.ladder [data-kind="note"]', { timeout: 15_000 });
    // The client logs in with a password (wrong: the lab user's own equals its name), then lists passively.
    for (const h of ['ftp1', 'ftp2'] as const) {
      const ip = lab.host(h).ip;
      const login = await lab.exec('client', [
        'timeout',
        '20',
        'lftp',
        '-u',
        `ftpscope-lab,${SECRET}`,
        '-e',
        'set net:max-retries 1; set net:timeout 10; ls; quit',
        `ftp://${ip}`,
      ]);
      expect(login.code, login.stderr).not.toBe(0);
    }
    const [bad, good] = await Promise.all([
      lab.ls('ftp2', { mode: 'passive', timeoutMs: 8000 }),
      lab.ls('ftp1', { mode: 'passive' }),
    ]);
    expect(bad.ok).toBe(false);
    expect(good.ok).toBe(true);

    // Live: the dropped SYN shows in red with its explanation, without reloading the page.
    const red = page.locator('.ladder .row.bad[data-kind="syn"]').first();
    await red.waitFor({ timeout: 40_000 });
    expect(await red.textContent()).toContain('dropped by INPUT policy DROP');
    expect(
      await page.locator('.ladder [data-kind="reply"]', { hasText: '227 Entering Passive Mode' }).count(),
    ).toBe(1);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'trace.png'), fullPage: true });
    expect(missing).toEqual([]); // favicon included

    const dropped = await finish(broken, 'the no-helper SYN settled as dropped', (t) =>
      syns(t.steps).some((s) => s.fate === 'dropped'),
    );
    const pasv = dropped.steps.find((s) => s.kind === 'reply' && s.code === 227);
    const port = /\((?:\d+,){4}(\d+),(\d+)\)/.exec(pasv?.kind === 'reply' ? pasv.text : '');
    expect(port, JSON.stringify(dropped.steps)).not.toBeNull();
    const p = Number(port?.[1]) * 256 + Number(port?.[2]);
    expect(dropped.steps).toContainEqual(expect.objectContaining({ kind: 'endpoint', via: 'PASV', port: p }));
    const syn = syns(dropped.steps).find((s) => s.dport === p);
    expect(syn).toMatchObject({
      src: lab.client.ip,
      dst: lab.host('ftp2').ip,
      fate: 'dropped',
      rule: { label: 'INPUT policy DROP' },
    });
    expect(syn?.explanation).toContain('dropped by INPUT policy DROP');

    const answered = await finish(healthy, 'the healthy SYN answered', (t) =>
      syns(t.steps).some((s) => s.fate === 'answered' && s.mode === 'passive'),
    );
    const pasv1 = answered.steps.find((s) => s.kind === 'endpoint' && s.via === 'PASV');
    const syn1 = syns(answered.steps).find((s) => pasv1?.kind === 'endpoint' && s.dport === pasv1.port);
    expect(syn1).toMatchObject({ fate: 'answered', rule: null });
    expect(answered.steps).toContainEqual(expect.objectContaining({ kind: 'command', text: 'PASS ****' }));

    // The password: masked on the host, so nowhere in the hub's database, its logs or the pcap download.
    const pcaps = await Promise.all(
      [broken, healthy].map((id) => app.inject({ url: `/api/traces/${id}/pcap`, headers: auth })),
    );
    for (const res of pcaps) {
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.readUInt32LE(0)).toBe(0xa1b2c3d4);
      expect(res.rawPayload.includes(SECRET)).toBe(false);
      expect(res.rawPayload.includes(`PASS ${'*'.repeat(SECRET.length)}`)).toBe(true);
    }
    expect(JSON.stringify([dropped, answered])).not.toContain(SECRET);
    for (const f of ['hub.db', 'hub.db-wal']) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(dir, f));
      } catch {
        continue;
      }
      expect(bytes.includes(SECRET), f).toBe(false);
    }
    expect(hubLog).toContain('"audit":"trace"');
    expect(hubLog).not.toContain(SECRET);
    expect(collectorLog).not.toContain(SECRET);
  }, 150_000);
});
