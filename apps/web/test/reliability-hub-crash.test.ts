import { join } from 'node:path';
import { type CollectorEvent, PROTOCOL_VERSION } from '@ftpscope/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openStore } from '../src/server/store/index.ts';
import {
  api,
  Child,
  freePort,
  type HubProcess,
  sleep,
  startHub,
  until,
  workDir,
} from './reliability-helpers.ts';

const API_TOKEN = 'reliability-api-token';
const COLLECTOR_TOKEN = 'reliability-collector-token';
const REPLAY = join(import.meta.dirname, 'reliability-replay-collector.ts');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** One dropped packet per index: an append row on the hub, so losses and duplicates both show. */
function drop(at: number, sport: number): CollectorEvent {
  return {
    kind: 'drop',
    drop: {
      at,
      group: 5,
      ruleId: null,
      prefix: 'heavy',
      proto: 'tcp',
      src: '198.18.0.100',
      dst: '198.18.1.1',
      sport,
      dport: 30000,
      flags: 'S',
    },
  };
}

describe('hub crash', () => {
  it('promise: hub kill -9 mid-stream from several collectors loses nothing and stores each event once', async () => {
    const { dir, cleanup } = workDir('hubkill');
    const port = await freePort();
    const db = join(dir, 'hub.db');
    let hub: HubProcess = await startHub({ port, db, apiToken: API_TOKEN, collectorToken: COLLECTOR_TOKEN });
    const collectors: Child[] = [];
    cleanups.push(async () => {
      for (const c of collectors) await c.kill9();
      await hub.kill9();
      cleanup();
    });

    // Four collector processes, each with its own spool, each replaying N events at 150/s (~4 s of stream).
    const N = 600;
    const hosts = ['c1', 'c2', 'c3', 'c4'];
    for (const h of hosts) {
      collectors.push(
        new Child(REPLAY, [`ws://127.0.0.1:${port}/ws/collector`, h, join(dir, 'spool'), String(N), '150'], {
          FTPSCOPE_TOKEN: COLLECTOR_TOKEN,
        }),
      );
    }
    // Mid-stream: some events are stored, most are still to come.
    await until(
      'the first events to be stored',
      async () => {
        const drops = await api<unknown[]>(hub.url, '/api/drops?limit=10000', API_TOKEN);
        return drops.length >= 200;
      },
      20_000,
    );
    await hub.kill9();
    const storedBeforeCrash = await openStore(`sqlite:${db}`, { now: Date.now });
    const before = await storedBeforeCrash.count('drops');
    await storedBeforeCrash.close();
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(N * hosts.length);
    await sleep(1000); // the collectors keep collecting into their spools
    hub = await startHub({ port, db, apiToken: API_TOKEN, collectorToken: COLLECTOR_TOKEN });

    await until(
      'every collector to drain its spool',
      () => collectors.every((c) => c.out.includes('drained')),
      40_000,
    );
    for (const h of hosts) {
      const drops = await api<{ sport: number }[]>(hub.url, `/api/drops?host=${h}&limit=10000`, API_TOKEN);
      const sports = drops.map((d) => d.sport).sort((a, b) => a - b);
      expect(sports, `host ${h}`).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    }
    for (const c of collectors) expect(c.running, c.err).toBe(true);
  });

  it('promise: the hub database survives kill -9 during heavy writes (integrity ok, every acknowledged batch present)', async () => {
    const { dir, cleanup } = workDir('dbkill');
    const port = await freePort();
    const db = join(dir, 'hub.db');
    let hub: HubProcess = await startHub({ port, db, apiToken: API_TOKEN, collectorToken: COLLECTOR_TOKEN });
    cleanups.push(async () => {
      await hub.kill9();
      cleanup();
    });

    // A collector writing as fast as the hub acks: 500-event batches, up to 16 in flight.
    const PER_BATCH = 500;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/collector`, {
      headers: { authorization: `Bearer ${COLLECTOR_TOKEN}` },
      perMessageDeflate: false,
    });
    ws.on('error', () => {});
    let acked = 0;
    let sent = 0;
    let welcomed = false;
    let closed = false;
    ws.on('close', () => {
      closed = true;
    });
    const pump = () => {
      while (!closed && sent - acked < 16) {
        sent++;
        const events = Array.from({ length: PER_BATCH }, (_, i) => drop(1_700_000_000_000 + sent, i + 1));
        ws.send(JSON.stringify({ type: 'batch', seq: sent, sentAt: Date.now(), events }));
      }
    };
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; seq?: number };
      if (m.type === 'welcome') {
        welcomed = true;
        pump();
      } else if (m.type === 'ack' && m.seq !== undefined) {
        acked = Math.max(acked, m.seq);
        pump();
      }
    });
    ws.on('open', () =>
      ws.send(
        JSON.stringify({
          type: 'hello',
          protocolVersion: PROTOCOL_VERSION,
          host: 'heavy',
          collectorVersion: '0.1.0',
          kernel: '6.1.0-test',
          backends: ['iptables-nft'],
          capabilities: [],
          streamId: 'heavy-stream-1',
          lastSeq: 0,
        }),
      ),
    );
    await until('heavy writes to be under way', () => welcomed && acked >= 20, 20_000);
    await hub.kill9(); // in the middle of a write transaction, most likely
    const ackedBeforeKill = acked;
    ws.terminate();

    const store = await openStore(`sqlite:${db}`, { now: Date.now });
    try {
      expect(await store.integrityCheck()).toBe('ok');
      const lastSeq = await store.streams.lastSeq('heavy', 'heavy-stream-1');
      expect(lastSeq).toBeGreaterThanOrEqual(ackedBeforeKill);
      // Batches are atomic with their sequence: every stored batch is complete, none is half there.
      expect(await store.count('drops')).toBe(lastSeq * PER_BATCH);
    } finally {
      await store.close();
    }
    // And the hub starts again on the file, with the data in the API.
    hub = await startHub({ port, db, apiToken: API_TOKEN, collectorToken: COLLECTOR_TOKEN });
    const hosts = await api<{ name: string }[]>(hub.url, '/api/hosts', API_TOKEN);
    expect(hosts.map((h) => h.name)).toEqual(['heavy']);
    console.log(`kill -9 after ${ackedBeforeKill} acked batches of ${PER_BATCH} events: integrity ok`);
  });
});
