import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectorEvent } from '@ftpscope/shared';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildApp } from '../../web/src/server/app.ts';
import { CollectorAuth } from '../../web/src/server/ingest/collector-auth.ts';
import { type HostStream, startHostStream } from '../src/transport/host-stream.ts';
import { captureLogger, TestHostMonitor } from './transport-helpers.ts';

type FastifyInstance = Awaited<ReturnType<typeof buildApp>>;

const COLLECTOR_TOKEN = 'collector-token-real-hub';
const API_TOKEN = 'api-token-real-hub';

/** A dropped packet is an append on the hub (one row per event), so a duplicate would show as a second row. */
function drop(i: number): CollectorEvent {
  return {
    kind: 'drop',
    drop: {
      at: Date.now(),
      group: 5,
      ruleId: null,
      prefix: 'policy-drop',
      proto: 'tcp',
      src: '198.18.0.100',
      dst: '198.18.0.11',
      sport: i,
      dport: 40100,
      flags: 'S',
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting for condition');
    await sleep(50);
  }
}

let dir: string;
let app: FastifyInstance | null = null;
let port = 0;
let stream: HostStream | null = null;

async function startHub(): Promise<FastifyInstance> {
  const hub = await buildApp({
    db: join(dir, 'hub.db'),
    apiToken: API_TOKEN,
    collectorAuth: CollectorAuth.single(COLLECTOR_TOKEN),
    retentionIntervalMs: 0,
    diagnosesIntervalMs: 0,
    uiDir: join(dir, 'no-ui'),
    logger: false,
  });
  await hub.listen({ host: '127.0.0.1', port });
  port = (hub.server.address() as AddressInfo).port;
  app = hub;
  return hub;
}

async function storedSports(): Promise<number[]> {
  if (!app) return [];
  const res = await app.inject({
    url: '/api/drops?host=ftp1&limit=10000',
    headers: { authorization: `Bearer ${API_TOKEN}` },
  });
  return (res.json() as Array<{ sport: number }>).map((d) => d.sport).sort((a, b) => a - b);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ftpscope-realhub-'));
  port = 0;
});
afterEach(async () => {
  await stream?.stop(0);
  stream = null;
  await app?.close();
  app = null;
  rmSync(dir, { recursive: true, force: true });
});

it('the real hub stores every event exactly once across a hub restart and a collector restart', async () => {
  await startHub();
  const { log } = captureLogger();
  const open = (monitor: TestHostMonitor) =>
    startHostStream({
      host: 'ftp1',
      monitor,
      hubUrl: `ws://127.0.0.1:${port}/ws/collector`,
      token: COLLECTOR_TOKEN,
      collectorVersion: '0.1.0',
      spoolDir: join(dir, 'spool'),
      log,
      backoff: { baseMs: 20, capMs: 200 },
    });
  let monitor = new TestHostMonitor();
  stream = await open(monitor);
  let n = 0;
  const produce = async (count: number) => {
    for (let i = 0; i < count; i++) {
      monitor.push(drop(++n));
      if (i % 10 === 0) await sleep(15);
    }
  };

  await produce(100);
  await app?.close(); // the hub goes away mid-stream
  app = null;
  await produce(150); // collected into the spool meanwhile
  await stream.stop(0); // and the collector restarts too, before the hub is back
  monitor = new TestHostMonitor();
  stream = await open(monitor);
  await produce(50);
  await startHub();
  await produce(100);

  await until(async () => (await storedSports()).length >= n);
  await until(() => stream?.spool.unackedCount === 0);
  expect(await storedSports()).toEqual(Array.from({ length: n }, (_, i) => i + 1));
});
