import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PgCluster } from '../src/server/testing/pg-cluster.ts';
import { api, Child, freePort, type HubProcess, startHub, until, workDir } from './reliability-helpers.ts';

const API_TOKEN = 'pg-restart-api-token';
const COLLECTOR_TOKEN = 'pg-restart-collector-token';
const REPLAY = join(import.meta.dirname, 'reliability-replay-collector.ts');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The hub's JSON log lines with a message matching re. */
function logged(hub: HubProcess, re: RegExp): { msg: string }[] {
  return hub.out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string })
    .filter((l) => re.test(l.msg));
}

describe('PostgreSQL restart under ingest', () => {
  it('promise: PostgreSQL stopped and started again mid-stream: nothing lost or duplicated, the hub log names the cause and the recovery', async ({
    onTestFailed,
  }) => {
    const cluster = await PgCluster.start();
    cleanups.push(() => cluster.stop());
    await cluster.sql('CREATE DATABASE ftpscope');
    const { dir, cleanup } = workDir('pgrestart');
    cleanups.push(cleanup);
    const hub = await startHub({
      port: await freePort(),
      store: cluster.url('ftpscope'),
      apiToken: API_TOKEN,
      collectorToken: COLLECTOR_TOKEN,
      logLevel: 'info',
    });
    cleanups.push(() => hub.kill9());
    onTestFailed(() => console.log(`hub log:\n${hub.out.slice(-8000)}${hub.err.slice(-2000)}`));

    // Two collectors, 600 drops each at 150/s (~4 s of stream); the database goes away in the middle.
    const N = 600;
    const hosts = ['p1', 'p2'];
    const collectors = hosts.map(
      (h) =>
        new Child(
          REPLAY,
          [`ws://127.0.0.1:${hub.port}/ws/collector`, h, join(dir, 'spool'), String(N), '150'],
          {
            FTPSCOPE_TOKEN: COLLECTOR_TOKEN,
          },
        ),
    );
    cleanups.push(async () => {
      for (const c of collectors) await c.kill9();
    });
    await until(
      'the first events to be stored',
      async () => (await api<unknown[]>(hub.url, '/api/drops?limit=10000', API_TOKEN)).length >= 100,
      30_000,
    );
    await cluster.stopServer('fast');
    await until('the hub to log the outage', () => logged(hub, /^store unavailable/).length > 0, 20_000);
    const [outage] = logged(hub, /^store unavailable/);
    expect(outage?.msg).toContain(`PostgreSQL at postgres://postgres@127.0.0.1:${cluster.port}/ftpscope`);
    expect(outage?.msg).toMatch(/terminating connection|ECONNREFUSED|shutting down|Connection terminated/);
    // Collectors keep producing into their spools while the database is away.
    await until(
      'the collectors to produce everything',
      () => collectors.every((c) => c.out.includes('produced')),
      30_000,
    );
    await cluster.startServer();

    await until(
      'every collector to drain its spool',
      () => collectors.every((c) => c.out.includes('drained')),
      60_000,
    );
    for (const h of hosts) {
      const drops = await api<{ sport: number }[]>(hub.url, `/api/drops?host=${h}&limit=10000`, API_TOKEN);
      expect(
        drops.map((d) => d.sport).sort((a, b) => a - b),
        `host ${h}`,
      ).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    }
    expect(logged(hub, /^store recovered: PostgreSQL answers again after/)).toHaveLength(1);
    expect(logged(hub, /^store unavailable/)).toHaveLength(1);
  });
});
