import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { LiveEvents } from '@ftpscope/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PgCluster } from '../src/server/testing/pg-cluster.ts';
import { api, Child, freePort, type HubProcess, startHub, until, workDir } from './reliability-helpers.ts';

const API_TOKEN = 'two-hubs-api-token';
const COLLECTOR_TOKEN = 'two-hubs-collector-token';
const REPLAY = join(import.meta.dirname, 'reliability-replay-collector.ts');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A webhook receiver that records every alert it is sent. */
async function webhook(): Promise<{ server: Server; url: string; alerts: { event: string; id: string }[] }> {
  const alerts: { event: string; id: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const a = JSON.parse(body) as { event: string; diagnosis: { id: string } };
      alerts.push({ event: a.event, id: a.diagnosis.id });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, alerts };
}

/** A browser's live connection: /ws/live with the API token, following every host; keeps what arrives, when. */
function liveClient(hub: HubProcess) {
  const seen: { host: string; kind: string; sport?: number; at?: number; receivedAt: number }[] = [];
  const ws = new WebSocket(`ws://127.0.0.1:${hub.port}/ws/live`, {
    headers: { authorization: `Bearer ${API_TOKEN}` },
    perMessageDeflate: false,
  });
  ws.on('error', () => {});
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', hosts: '*' })));
  ws.on('message', (data) => {
    const receivedAt = Date.now();
    const msg = JSON.parse(String(data)) as LiveEvents;
    if (msg.type !== 'events') return;
    for (const e of msg.events) {
      seen.push(
        e.kind === 'drop'
          ? { host: msg.host, kind: e.kind, sport: e.drop.sport ?? -1, at: e.drop.at, receivedAt }
          : { host: msg.host, kind: e.kind, receivedAt },
      );
    }
  });
  return { ws, seen };
}

const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * q)] ?? 0;

describe('two hubs on one PostgreSQL', () => {
  it('promise: kill -9 of one hub mid-stream: collectors fail over, every event stored once, live events crossed hubs, each diagnosis alerted once', async ({
    onTestFailed,
  }) => {
    const cluster = await PgCluster.start();
    cleanups.push(() => cluster.stop());
    await cluster.sql('CREATE DATABASE ftpscope');
    const store = cluster.url('ftpscope');
    const { dir, cleanup } = workDir('twohubs');
    cleanups.push(cleanup);
    const hook = await webhook();
    cleanups.push(() => void hook.server.close());

    const hubs: HubProcess[] = [];
    cleanups.push(async () => {
      for (const h of hubs) await h.kill9();
    });
    for (const id of ['hub-a', 'hub-b']) {
      hubs.push(
        await startHub({
          port: await freePort(),
          store,
          apiToken: API_TOKEN,
          collectorToken: COLLECTOR_TOKEN,
          logLevel: 'info',
          extraArgs: ['--hub-id', id, '--alert-webhook', hook.url],
        }),
      );
    }
    const [a, b] = hubs as [HubProcess, HubProcess];
    onTestFailed(() => {
      console.log('alerts received:', JSON.stringify(hook.alerts));
      for (const h of hubs) console.log(`hub on ${h.port}:\n${h.out.slice(-6000)}${h.err.slice(-3000)}`);
    });
    const wsUrl = (h: HubProcess) => `ws://127.0.0.1:${h.port}/ws/collector`;
    // A browser on each hub: what B shows of A's collectors is measured against when A itself showed it.
    const browser = liveClient(b);
    const onA = liveClient(a);
    cleanups.push(() => {
      browser.ws.terminate();
      onA.ws.terminate();
    });
    await until(
      'a browser on each hub to subscribe',
      () => browser.ws.readyState === WebSocket.OPEN && onA.ws.readyState === WebSocket.OPEN,
      10_000,
    );

    // Four collectors with their own spools, replaying N drops each (plus a conntrack table 95% full):
    // c1 and c2 prefer hub A, c3 and c4 hub B.
    const N = 900;
    const hosts = ['c1', 'c2', 'c3', 'c4'];
    const collectors: Child[] = [];
    cleanups.push(async () => {
      for (const c of collectors) await c.kill9();
    });
    for (const [i, h] of hosts.entries()) {
      const list = i < 2 ? `${wsUrl(a)},${wsUrl(b)}` : `${wsUrl(b)},${wsUrl(a)}`;
      collectors.push(
        new Child(REPLAY, [list, h, join(dir, 'spool'), String(N), '150'], {
          FTPSCOPE_TOKEN: COLLECTOR_TOKEN,
          REPLAY_TABLE_FULL: '1',
        }),
      );
    }

    // Before the kill: the browser on B sees the drops of A's collectors, and every host's diagnosis is alerted.
    const remoteDrops = () =>
      browser.seen.filter((s) => (s.host === 'c1' || s.host === 'c2') && s.kind === 'drop');
    await until(
      'the browser on B to see live drops of the collectors on A',
      () => remoteDrops().length >= 100,
      30_000,
    );
    await until(
      'a conntrack-table-full alert for every host',
      () => hosts.every((h) => hook.alerts.some((x) => x.event === 'opened' && x.id.startsWith(`${h}:`))),
      30_000,
    );
    const stored = await api<unknown[]>(b.url, '/api/drops?limit=10000', API_TOKEN);
    expect(stored.length).toBeLessThan(N * hosts.length); // mid-stream
    const killedAt = Date.now();
    await a.kill9();
    const onHubA = new Map(
      onA.seen.filter((x) => x.kind === 'drop').map((x) => [`${x.host}/${x.sport}`, x.receivedAt]),
    );
    const crossing = remoteDrops().flatMap((x) => {
      const local = onHubA.get(`${x.host}/${x.sport}`);
      return local === undefined ? [] : [x.receivedAt - local];
    });
    const endToEnd = remoteDrops().map((x) => x.receivedAt - (x.at ?? 0));
    console.log(
      `[two-hubs] ${remoteDrops().length} drops of hub A's collectors seen live on hub B before the kill; ` +
        `on B after A's own browser: p50 ${p(crossing, 0.5)} ms, p90 ${p(crossing, 0.9)} ms, p95 ${p(crossing, 0.95)} ms; from the ` +
        `collector's event (batching included): p50 ${p(endToEnd, 0.5)} ms, p95 ${p(endToEnd, 0.95)} ms`,
    );
    expect(crossing.length).toBeGreaterThanOrEqual(100);
    // Nine in ten within 500 ms of A's own browser: the tail follows the machine's load (2 shared cores run two
    // hubs, PostgreSQL, four collectors and the test), not the hop (an idle run: p50 4 ms, p95 51 ms).
    expect(p(crossing, 0.9)).toBeLessThanOrEqual(500);

    // After: every collector drains into hub B; each event is stored once.
    await until(
      'every collector to drain its spool',
      () => collectors.every((c) => c.out.includes('drained')),
      60_000,
    );
    for (const h of hosts) {
      const drops = await api<{ sport: number }[]>(b.url, `/api/drops?host=${h}&limit=10000`, API_TOKEN);
      expect(
        drops.map((d) => d.sport).sort((x, y) => x - y),
        `host ${h}`,
      ).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    }
    // Hub B took over the diagnoses of A's hosts (lease) and continued them: stored again after the kill,
    // same occurrence, nothing re-opened.
    await until(
      "hub B to evaluate A's hosts",
      async () => {
        const rows = await cluster.sql<{ host: string; hub_id: string; last_seen: string }>(
          `SELECT l.host, l.hub_id, d.last_seen FROM host_leases l JOIN diagnoses d ON d.host = l.host
           WHERE l.host IN ('c1', 'c2')`,
          [],
          'ftpscope',
        );
        return rows.length === 2 && rows.every((r) => r.hub_id === 'hub-b' && Number(r.last_seen) > killedAt);
      },
      40_000,
    );
    const diagnoses = await cluster.sql<{ id: string; resolved_at: string | null }>(
      'SELECT id, resolved_at FROM diagnoses ORDER BY id',
      [],
      'ftpscope',
    );
    expect(diagnoses.map((d) => d.id.split('@')[0])).toEqual(hosts.map((h) => `${h}:conntrack-table-full`));
    expect(diagnoses.every((d) => d.resolved_at === null)).toBe(true);
    await until(
      'the alert outbox to be empty',
      async () =>
        (
          await cluster.sql<{ n: string }>(
            'SELECT count(*) AS n FROM alerts WHERE sent_at IS NULL',
            [],
            'ftpscope',
          )
        )[0]?.n === '0',
      20_000,
    );
    for (const d of diagnoses) {
      expect(
        hook.alerts.filter((x) => x.id === d.id),
        d.id,
      ).toEqual([{ event: 'opened', id: d.id }]);
    }
    expect(hook.alerts).toHaveLength(hosts.length);

    // /metrics says which hub answers; B's log names the collectors that moved to it.
    const metrics = await fetch(`${b.url}/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(await metrics.text()).toContain('ftpscope_hub_info{hub="hub-b"} 1');
    for (const c of collectors) expect(c.running, c.err).toBe(true);
  });
});
