import { join } from 'node:path';
import { createWorkstation, type Workstation } from '@ftpscope/lab';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStore } from '../src/server/store/index.ts';
import { batch, hello, session } from '../src/server/testing/events.ts';
import { TestSocket } from '../src/server/testing/harness.ts';
import { buildUi, freePort, type HubProcess, startHub, workDir } from './reliability-helpers.ts';

/** The built UI in Debian's Chromium against a real `pnpm hub` process that is killed and restarted under it. */
const API_TOKEN = 'reconnect-api-token';
const COLLECTOR_TOKEN = 'reconnect-collector-token';
const HOST = 'web1';

const { dir, cleanup } = workDir('live-reconnect');
const db = join(dir, 'hub.db');
const ui = join(dir, 'dist');
let port = 0;
let hub: HubProcess | undefined;
let ws: Workstation;
let context: BrowserContext | undefined;
let page: Page;

function start(): Promise<HubProcess> {
  return startHub({
    port,
    browserHost: ws.hubIp,
    db,
    apiToken: API_TOKEN,
    collectorToken: COLLECTOR_TOKEN,
    extraArgs: ['--ui-dir', ui],
  });
}

/** A collector connection that reports one session as batch `seq` of its stream. */
async function report(id: string, seq: number): Promise<void> {
  const s = TestSocket.collector(`ws://127.0.0.1:${port}/ws/collector`, COLLECTOR_TOKEN);
  await s.opened;
  s.send(hello(HOST, 'stream-web1', seq - 1));
  await s.welcome();
  s.send(batch(seq, [session(id, Date.now())]));
  await s.ack(seq);
  s.close();
}

beforeAll(async () => {
  ws = await createWorkstation(dir);
  buildUi(ui);
  port = await freePort();
  hub = await start();
  await report('s1', 1);
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: ws.chromium,
    headless: true,
    ignoreHTTPSErrors: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
}, 120_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await hub?.kill9();
  await ws?.down();
  cleanup();
});

it('promise: the hub restarts while a browser is connected: the UI reconnects and catches up by itself', async () => {
  await page.goto(`https://${ws.hubIp}:${port}/?token=${API_TOKEN}`);
  await page.waitForSelector('[data-live-status="connected"]', { timeout: 15_000 });
  await page.goto(`https://${ws.hubIp}:${port}/#/hosts/${HOST}`);
  await page.waitForSelector('[data-session="s1"]', { timeout: 10_000 });

  await hub?.kill9();
  await page.waitForSelector('[data-live-status="reconnecting"]', { timeout: 10_000 });
  // Stored while the browser is disconnected: it can only appear through the catch-up after the reconnect.
  const store = await openStore(`sqlite:${db}`, { now: Date.now });
  await store.writeBatch(HOST, 'stream-web1', batch(2, [session('s2', Date.now())]), Date.now());
  await store.close();
  hub = await start();

  await page.waitForSelector('[data-live-status="connected"]', { timeout: 20_000 });
  await page.waitForSelector('[data-session="s2"]', { timeout: 5_000 });
  // Live updates flow again on the new socket, without a reload, and the login (cookie) survived the restart.
  const t0 = Date.now();
  await report('s3', 3);
  await page.waitForSelector('[data-session="s3"]', { timeout: 2_000 });
  console.log(`after the hub restart, a new session reached the page in ${Date.now() - t0} ms`);
  expect(page.url()).toContain(`#/hosts/${HOST}`);
  expect(await page.$('[data-session="s1"]')).not.toBeNull();
});
