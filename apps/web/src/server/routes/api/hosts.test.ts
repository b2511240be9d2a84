import type { CollectorEvent, FtpServerSettings, HostHealthView, NetfilterHealth } from '@ftpscope/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batch, hello } from '../../testing/events.ts';
import { API_TOKEN, COLLECTOR_TOKEN, listeningApp, TestSocket } from '../../testing/harness.ts';
import { ENGINES, useEngine } from '../../testing/store-engines.ts';

const T = Date.parse('2026-03-01T15:00:00.000Z');
const auth = { authorization: `Bearer ${API_TOKEN}` };

/** What the collector's health source reports for a lab host with the helper assigned in raw PREROUTING. */
function health(at: number, conntrackCount: number): NetfilterHealth {
  return {
    at,
    conntrackCount,
    conntrackMax: 262144,
    expectCount: 1,
    expectMax: 1024,
    stats: { found: 0, invalid: 3, insert_failed: 0, drop: 0, early_drop: 0, error: 0 },
    acct: true,
    timestamp: false,
    helperRules: [
      {
        ruleId: 'ipv4/raw/PREROUTING/-p tcp -m tcp --dport 21 -j CT --helper ftp/1',
        family: 'ipv4',
        ports: [21],
      },
    ],
  };
}

const settings: FtpServerSettings = {
  configPath: '/etc/vsftpd.conf',
  listenPort: 21,
  ipv6: false,
  pasvEnabled: true,
  pasvMinPort: 30000,
  pasvMaxPort: 30100,
  pasvAddress: null,
  tls: false,
  portEnabled: true,
};

describe.each(ENGINES)('GET /api/hosts/:host/health (%s)', (engine) => {
  useEngine(engine);
  let hub: Awaited<ReturnType<typeof listeningApp>>;
  beforeEach(async () => {
    hub = await listeningApp({ now: () => T + 60_000, engine });
  });
  afterEach(async () => {
    await hub.close();
  });

  /** A real collector connection that sends batches and waits until the hub committed them. */
  async function report(host: string, batches: CollectorEvent[][]): Promise<void> {
    const c = TestSocket.collector(hub.wsUrl('/ws/collector'), COLLECTOR_TOKEN);
    await c.opened;
    c.send(hello(host, `stream-${host}`));
    await c.welcome();
    for (const [i, events] of batches.entries()) {
      c.send(batch(i + 1, events, T));
      await c.ack(i + 1);
    }
    c.close();
  }
  const get = (host: string) => hub.app.inject({ url: `/api/hosts/${host}/health`, headers: auth });

  it('answers the newest health sample and the FTP server settings, times in ISO', async () => {
    // a replayed spool can deliver an older sample last: the newest by time wins
    await report('alpha', [
      [
        { kind: 'health', health: health(T + 20_000, 42) },
        { kind: 'settings', settings },
      ],
      [{ kind: 'health', health: health(T + 10_000, 7) }],
    ]);
    const res = await get('alpha');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      health: { ...health(T + 20_000, 42), at: '2026-03-01T15:00:20.000Z' },
      settings: { ...settings, updatedAt: '2026-03-01T15:01:00.000Z' },
    } satisfies HostHealthView);
  });

  it('answers nulls for a host that has not reported health yet, 404 for a host never seen', async () => {
    await report('beta', [[{ kind: 'sync', at: T, activeSessionIds: [] }]]);
    const none = await get('beta');
    expect(none.statusCode).toBe(200);
    expect(none.json()).toEqual({ health: null, settings: null });

    const unknown = await get('gamma');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'FTPSCOPE_ERR_NOT_FOUND' });
    expect((await hub.app.inject({ url: '/api/hosts/beta/health' })).statusCode).toBe(401);
  });
});
