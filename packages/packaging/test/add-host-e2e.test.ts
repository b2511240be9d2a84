import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLab, createWorkstation, type Lab, type Workstation } from '@ftpscope/lab';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestPackages, Proc, unpack, until, withoutNode, workDir } from './helpers.ts';

/**
 * "Add FTP host" as an operator does it: the packaged hub on a network address (its own certificate), the UI in
 * Chromium, the command it shows run on a lab FTP host (inside its namespace, unpacking with --root instead of
 * apt-get and systemd), the collector it installed started with the settings the command wrote; the host
 * appears in Fleet; revoking it in the UI disconnects the collector and the hub refuses it from then on.
 */

const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const { dir, cleanup } = workDir('addhost');
const apiToken = randomBytes(16).toString('hex');
const hostName = 'ftp1';
const procs: Proc[] = [];
let lab: Lab | undefined;
let ws: Workstation | undefined;
let hub: Proc;
let hubUrl = '';
let context: BrowserContext | undefined;
let page: Page;
let collector: Proc | undefined;

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  ws = await createWorkstation(dir);
  const { hub: hubPkg } = await buildTestPackages(join(dir, 'dist'));
  const hubRoot = unpack(hubPkg.deb, join(dir, 'hub-root'));
  lab = await createLab({ name: `ah${randomBytes(3).toString('hex')}`, hosts: 1, profile: 'healthy' });
  const gw = lab.host(hostName).mgmtGatewayIp;
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  hubUrl = `https://${gw}:${port}`;
  // biome-ignore format: flag and value in pairs
  hub = new Proc(withoutNode([
    join(hubRoot, 'opt/ftpscope-hub/bin/ftpscope-hub'), '--listen', `${gw}:${port}`,
    '--db', join(dir, 'hub.db'), '--tls-dir', join(dir, 'tls'), '--log-level', 'info',
  ]), { FTPSCOPE_API_TOKEN: apiToken });
  procs.push(hub);
  context = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: ws.chromium,
    headless: true,
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 800 },
    // biome-ignore format: one flag per item
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
      '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] ?? (await context.newPage());
  await until('the packaged hub to answer over TLS', async () => {
    if (!hub.running) throw new Error(`hub exited:\n${hub.out}`);
    const res = await page.request.get(`${hubUrl}/api/health`);
    return res.ok();
  });
}, 300_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await Promise.all(procs.map((p) => p.stop()));
  await lab?.down();
  await ws?.down();
  cleanup();
}, 60_000);

describe('Add FTP host in the UI', () => {
  let command = '';

  it('creates a host token and shows the one command with this hub and its pinned key', async () => {
    await page.goto(`${hubUrl}/?token=${apiToken}#/collectors`);
    await page.click('button:has-text("Add FTP host")');
    await page.fill('#add-host-name', hostName);
    expect(await page.inputValue('#add-host-hub')).toBe(hubUrl);
    await shot('add-host-form');
    await page.click('button:has-text("Create token and command")');
    command = (await page.textContent('[data-install-command]', { timeout: 10_000 })) ?? '';
    expect(command).toMatch(
      new RegExp(
        `^curl -fsSL --insecure --pinnedpubkey sha256//\\S+ ${hubUrl}/install\\.sh \\| sudo sh -s -- --hub ${hubUrl} --fingerprint sha256//\\S+ --name ${hostName} --token fsc_\\S+$`,
      ),
    );
    await shot('add-host');
  });

  it('the command run on the FTP host installs a collector that connects, and the host appears in Fleet', async () => {
    const h = lab?.host(hostName);
    if (!h) throw new Error('no lab');
    // On the FTP host as root: `sudo` is not needed, and --root unpacks instead of apt-get + systemctl.
    const root = join(dir, 'ftp1-root');
    const run = command.replace('| sudo sh -s --', '| sh -s --');
    const install = new Proc(['ip', 'netns', 'exec', h.netns, 'sh', '-c', `${run} --root ${root}`]);
    expect(await install.exited, install.out).toBe(0);
    const env = Object.fromEntries(
      readFileSync(join(root, 'etc/ftpscope/collector.env'), 'utf8')
        .split('\n')
        .filter((l) => /^FTPSCOPE_\w+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env).toMatchObject({ FTPSCOPE_HUB: hubUrl, FTPSCOPE_NAME: hostName });
    // biome-ignore format: flag and value in pairs
    const argv = [
      join(root, 'opt/ftpscope-collector/bin/ftpscope-collector'), '--vsftpd-conf', h.vsftpdConf,
      '--ftp-log', h.logFile, '--spool', join(dir, 'spool'),
    ];
    collector = new Proc(['ip', 'netns', 'exec', h.netns, ...withoutNode(argv)], {
      ...env,
      FTPSCOPE_TOKEN_FILE: join(root, 'etc/ftpscope/collector.token'),
    });
    procs.push(collector);
    await page.waitForSelector('[data-status]:has-text("reports to this hub")', { timeout: 30_000 });
    await shot('add-host-connected');
    await page.click('button:has-text("Done")');
    await page.goto(`${hubUrl}/#/`);
    await page.waitForSelector(`tr[data-host="${hostName}"] .tag.good:has-text("connected")`, {
      timeout: 15_000,
    });
  });

  it('revoking the token in the UI disconnects the collector (4401) and it is refused from then on', async () => {
    await page.goto(`${hubUrl}/#/collectors`);
    const row = `tr[data-host="${hostName}"]`;
    await page.waitForSelector(`${row} .tag.good:has-text("connected")`, { timeout: 15_000 });
    await page.click(`${row} button:has-text("Revoke")`);
    await page.click(`${row} button:has-text("Revoke ${hostName} now")`);
    await page.waitForSelector(`${row} .tag.bad:has-text("revoked")`, { timeout: 10_000 });
    const closes = () => (collector?.logs() ?? []).filter((l) => l.code === 4401);
    const first = await until('the collector to be closed with 4401', () => closes()[0]);
    expect(first.reason).toContain('revoked');
    // Its reconnects are refused too (the collector keeps trying; the hub says no each time).
    await until('a refused reconnect', () =>
      closes().some((l) => String(l.reason).includes('missing or wrong token')),
    );
    await page.goto(`${hubUrl}/#/`);
    await page.waitForSelector(`tr[data-host="${hostName}"] .tag.bad:has-text("disconnected")`, {
      timeout: 15_000,
    });
  });
});
