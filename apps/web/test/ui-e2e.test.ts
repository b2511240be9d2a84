import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, createWorkstation, type Lab, type Workstation } from '@ftpscope/lab';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUi, freePort, ROOT, until } from './reliability-helpers.ts';

/**
 * End to end: the built UI in Debian's Chromium, a real hub, a real collector watching a real lab host.
 * Screenshots of every view go to apps/web/test/artifacts/ (see test/artifacts/README.md).
 */

const TSX = join(ROOT, 'node_modules/.bin/tsx');
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const NFLOG_GROUP = 9;

const labName = `ui${randomBytes(3).toString('hex')}`;
const apiToken = randomBytes(16).toString('hex');
const collectorToken = randomBytes(16).toString('hex');
const work = mkdtempSync(join(tmpdir(), 'ftpscope-ui-e2e-'));
const children: ChildProcess[] = [];
let lab: Lab | undefined;
let ws: Workstation | undefined;
let context: BrowserContext | undefined;
let page: Page;
/** Plain HTTP on loopback for this process; the browser gets `pageUrl`, TLS on the workstation's hubIp. */
let url = '';
let pageUrl = '';
let host = '';

function start(args: string[], env: Record<string, string>, name: string): ChildProcess {
  const child = spawn(TSX, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (b: Buffer) => {
    tail.push(b.toString());
    if (tail.length > 50) tail.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal === null) console.error(`${name} exited with ${code}:\n${tail.join('')}`);
  });
  children.push(child);
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((done) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.kill('SIGTERM');
  });
}

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });

beforeAll(async () => {
  ws = await createWorkstation(work);
  mkdirSync(ARTIFACTS, { recursive: true });
  buildUi(join(work, 'ui'));

  lab = await createLab({ name: labName, hosts: 1, profile: 'healthy' });
  const h = lab.hosts[0];
  if (!h) throw new Error('lab has no host');
  host = h.name;
  // Log what reaches the end of INPUT (the policy), so dropped data-channel SYNs show packet by packet.
  const nflog = await lab.exec(host, [
    'iptables',
    '-A',
    'INPUT',
    '-p',
    'tcp',
    '-j',
    'NFLOG',
    '--nflog-group',
    String(NFLOG_GROUP),
  ]);
  if (nflog.code !== 0) throw new Error(`cannot add the NFLOG rule: ${nflog.stderr}`);

  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  pageUrl = `https://${ws.hubIp}:${port}`;
  start(
    [
      join(ROOT, 'apps/web/src/server/main.ts'),
      '--listen',
      `${ws.hubIp}:${port}`,
      '--plain-listen',
      `127.0.0.1:${port}`,
      '--db',
      join(work, 'hub.db'),
      '--ui-dir',
      join(work, 'ui'),
    ],
    { FTPSCOPE_API_TOKEN: apiToken, FTPSCOPE_COLLECTOR_TOKEN: collectorToken, FTPSCOPE_LOG_LEVEL: 'warn' },
    'hub',
  );
  await until('the hub', async () => (await fetch(`${url}/api/health`)).ok, 30_000);
  start(
    [
      join(ROOT, 'apps/collector/src/main.ts'),
      '--hub',
      `ws://127.0.0.1:${port}`,
      '--netns',
      h.netns,
      '--name',
      host,
      '--vsftpd-conf',
      h.vsftpdConf,
      '--ftp-log',
      h.logFile,
      '--nflog-group',
      String(NFLOG_GROUP),
      '--spool',
      join(work, 'spool'),
    ],
    { FTPSCOPE_TOKEN: collectorToken, FTPSCOPE_LOG_LEVEL: 'warn' },
    'collector',
  );
  const auth = { headers: { authorization: `Bearer ${apiToken}` } };
  await until(
    'the collector to connect',
    async () => {
      const hosts = (await (await fetch(`${url}/api/hosts`, auth)).json()) as {
        name: string;
        connected: boolean;
      }[];
      return hosts.some((x) => x.name === host && x.connected);
    },
    30_000,
  );

  context = await chromium.launchPersistentContext(join(work, 'chromium-profile'), {
    executablePath: ws.chromium,
    headless: true,
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => console.error('page error:', err));
}, 180_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  for (const c of children.reverse()) await stop(c);
  await lab?.down();
  await ws?.down();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('web UI end to end (real hub, collector, lab, Chromium)', () => {
  it('logs in from the ?token= link, strips it, and shows the fleet', async () => {
    await page.goto(`${pageUrl}/?token=${apiToken}`);
    await page.waitForSelector(`tr[data-host="${host}"]`, { timeout: 10_000 });
    expect(page.url()).not.toContain('token=');
    await page.waitForSelector('[data-live-status="connected"]', { timeout: 10_000 });
    await shot('fleet');
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
      'rgb(15, 18, 22)',
    );
    await shot('fleet-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('shows a passive get in the host live table within 2 s', async () => {
    if (!lab) throw new Error('no lab');
    await page.goto(`${pageUrl}/#/hosts/${host}`);
    await page.waitForSelector('[data-live-status="connected"]', { timeout: 10_000 });
    await page.waitForSelector('#sessions-h', { timeout: 10_000 });
    const started = Date.now();
    const get = lab.get(host, 'small.txt', { mode: 'passive' });
    await page.waitForSelector(`[data-session] a:has-text("${lab.client.ip}:")`, { timeout: 2000 });
    const seenAfter = Date.now() - started;
    expect((await get).ok).toBe(true);
    console.log(`passive get visible in the live table after ${seenAfter} ms`);
    expect(seenAfter).toBeLessThan(2000);
    await page.waitForTimeout(1500); // let a counters poll and the data connection arrive
    await shot('host-live');

    await page.click(`[data-session] a:has-text("${lab.client.ip}:")`);
    await page.waitForSelector('[data-lane="control"]', { timeout: 10_000 });
    await page.waitForSelector('[data-story="loaded"]', { timeout: 10_000 });
    await shot('session');
  });

  it('after switching to hardened-no-helper, Drops shows INPUT policy drops and a ruleset-change marker', async () => {
    if (!lab) throw new Error('no lab');
    await lab.setProfile(host, 'hardened-no-helper');
    const nflog = await lab.exec(host, [
      'iptables',
      '-A',
      'INPUT',
      '-p',
      'tcp',
      '-j',
      'NFLOG',
      '--nflog-group',
      String(NFLOG_GROUP),
    ]);
    expect(nflog.code).toBe(0);
    await until(
      'the hub to have the NFLOG rule',
      async () => {
        const res = await fetch(`${url}/api/hosts/${host}/rules`, {
          headers: { authorization: `Bearer ${apiToken}` },
        });
        const rules = (await res.json()) as { text: string }[];
        return rules.some((r) => r.text.includes(`--nflog-group ${NFLOG_GROUP}`));
      },
      10_000,
    );
    const ls = await lab.ls(host, { mode: 'passive', timeoutMs: 5000 });
    expect(ls.ok).toBe(false);

    const dropsOnPolicy = await until(
      'INPUT policy drops in the Drops view',
      async () => {
        await page.goto(`${pageUrl}/#/drops?host=${host}&range=15m&t=${Date.now()}`);
        await page.waitForSelector('table.totals', { timeout: 5000 });
        const cells = await page.$$eval('tr[data-policy="true"]', (rows) =>
          rows.map((r) => ({
            text: r.textContent ?? '',
            n: Number(r.querySelector('td.num')?.textContent ?? 0),
          })),
        );
        return cells.find((c) => c.text.includes('INPUT policy DROP') && c.n > 0);
      },
      20_000,
    );
    expect(dropsOnPolicy.n).toBeGreaterThan(0);
    const marker = await page.waitForSelector('[data-marker]', { timeout: 5000 });
    // changes close in time share a marker: no marker covers another (one did, and could not be clicked)
    const boxes = await page.$$eval('[data-marker]', (els) =>
      els.map((e) => e.getBoundingClientRect()).map((r) => [r.left, r.right]),
    );
    boxes.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    for (let i = 1; i < boxes.length; i++)
      expect(boxes[i]?.[0]).toBeGreaterThanOrEqual(boxes[i - 1]?.[1] ?? 0);
    await marker.click();
    const diff = await page.waitForSelector('section.diff', { timeout: 5000 });
    expect(await diff.textContent()).toMatch(/policy ipv4 filter INPUT: ACCEPT → DROP|−|\+/);
    await shot('drops');
  });

  it('Investigate for the client address answers with the failed data channel', async () => {
    if (!lab) throw new Error('no lab');
    const at = new Date().toISOString();
    // the passive listing above, dropped by the INPUT policy: the answer and a failed group in the list
    const summary = await until(
      'the failed listing in the investigation',
      async () => {
        await page.goto(
          `${pageUrl}/#/investigate?client=${lab?.client.ip}&at=${encodeURIComponent(at)}&window=15&t=${Date.now()}`,
        );
        await page.waitForSelector('[data-summary]', { timeout: 5000 });
        const failed = await page.$('li[data-entry="sessions"][data-outcome="failed"]');
        return failed ? await page.textContent('[data-summary]') : undefined;
      },
      20_000,
    );
    expect(summary).toMatch(/dropped by INPUT policy DROP/);
  });

  it('renders the diagnoses view', async () => {
    await page.goto(`${pageUrl}/#/diagnoses`);
    await page.waitForSelector('h2:has-text("Current")', { timeout: 5000 });
    await page.waitForTimeout(3000);
    await shot('diagnoses');
  });
});
