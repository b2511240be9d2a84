import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { Diagnosis } from '@ftpscope/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { type AlertBody, AlertWebhook } from './webhook.ts';

const diagnosis: Diagnosis = {
  id: 'ftp1:ftp-helper-not-assigned@1000',
  kind: 'ftp-helper-not-assigned',
  host: 'ftp1',
  severity: 'critical',
  title: 'FTP helper not assigned',
  explanation: 'x',
  evidence: [],
  fix: ['iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp'],
  firstSeen: 1000,
  lastSeen: 1000,
  resolvedAt: null,
};

interface Receiver {
  url: string;
  server: Server;
  /** Bodies answered with 2xx. */
  delivered: AlertBody[];
  attempts: number;
}

/** A real HTTP receiver on 127.0.0.1 that answers 503 to the first `failFirst` requests. */
async function receiver(failFirst: number, hang = false): Promise<Receiver> {
  const r: Receiver = { url: '', server: createServer(), delivered: [], attempts: 0 };
  r.server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.attempts += 1;
      if (hang) return;
      if (r.attempts <= failFirst) {
        res.writeHead(503).end();
        return;
      }
      r.delivered.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as AlertBody);
      res.writeHead(204).end();
    });
  });
  r.server.listen(0, '127.0.0.1');
  await once(r.server, 'listening');
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hook`;
  return r;
}

const logs: Array<{ level: string; msg?: string }> = [];
const log = {
  info: (_: object, msg?: string) => logs.push({ level: 'info', msg }),
  warn: (_: object, msg?: string) => logs.push({ level: 'warn', msg }),
  error: (_: object, msg?: string) => logs.push({ level: 'error', msg }),
};

let servers: Server[] = [];
afterEach(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  servers = [];
  logs.length = 0;
});

describe('AlertWebhook', () => {
  it('retries with backoff: fails twice, then exactly one delivery is recorded', async () => {
    const r = await receiver(2);
    servers.push(r.server);
    const hook = new AlertWebhook({ url: r.url, log, baseDelayMs: 20 });
    expect(hook.send('opened', diagnosis)).toBe(true);
    expect(hook.send('opened', diagnosis)).toBe(false);
    await hook.flush();
    expect(r.attempts).toBe(3);
    expect(r.delivered).toEqual([{ event: 'opened', diagnosis }]);
    expect(hook.stats).toMatchObject({ delivered: 1, failedAttempts: 2, duplicates: 1, givenUp: 0 });
    expect(logs.filter((l) => l.level === 'warn')).toHaveLength(2);
  });

  it('delivers opened then resolved in order, and a later re-occurrence again', async () => {
    const r = await receiver(0);
    servers.push(r.server);
    const hook = new AlertWebhook({ url: r.url, log, baseDelayMs: 20 });
    hook.send('opened', diagnosis);
    hook.send('resolved', { ...diagnosis, resolvedAt: 5000 });
    hook.send('resolved', { ...diagnosis, resolvedAt: 6000 });
    hook.send('opened', { ...diagnosis, id: 'ftp1:ftp-helper-not-assigned@9000', firstSeen: 9000 });
    await hook.flush();
    expect(r.delivered.map((b) => `${b.event}@${b.diagnosis.firstSeen}`)).toEqual([
      'opened@1000',
      'resolved@1000',
      'opened@9000',
    ]);
  });

  it('never blocks the caller and gives up (logged) on an unreachable receiver', async () => {
    const r = await receiver(0);
    const url = r.url;
    r.server.close();
    await once(r.server, 'close');
    const hook = new AlertWebhook({ url, log, baseDelayMs: 5, maxAttempts: 3 });
    const started = performance.now();
    hook.send('opened', diagnosis);
    expect(performance.now() - started).toBeLessThan(20);
    await hook.flush();
    expect(hook.stats).toMatchObject({ delivered: 0, failedAttempts: 3, givenUp: 1 });
    expect(logs.some((l) => l.level === 'error' && l.msg?.includes('giving up'))).toBe(true);
  });

  it('bounds its queue while the receiver hangs, dropping the oldest (logged)', async () => {
    const r = await receiver(0, true);
    servers.push(r.server);
    const hook = new AlertWebhook({ url: r.url, log, maxQueue: 2, timeoutMs: 200, maxAttempts: 1 });
    for (let i = 0; i < 5; i++) hook.send('opened', { ...diagnosis, id: `d${i}` });
    // d0 is in flight; d1 and d2 were pushed out of the queue of 2 by d3 and d4.
    expect(hook.stats.dropped).toBe(2);
    await hook.flush();
    expect(r.attempts).toBe(3);
    expect(logs.some((l) => l.msg?.includes('queue full'))).toBe(true);
  });

  it('stops retrying once close() runs out of grace, so nothing outlives the shutdown', async () => {
    const r = await receiver(1000);
    servers.push(r.server);
    const hook = new AlertWebhook({ url: r.url, log, maxAttempts: 50, sleep: () => delay(20) });
    hook.send('opened', diagnosis);
    await hook.close(30);
    expect(logs.some((l) => l.msg?.includes('undelivered'))).toBe(true);
    await hook.flush();
    const attempts = r.attempts;
    await delay(100);
    expect(r.attempts).toBe(attempts);
    expect(attempts).toBeLessThan(10);
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => new AlertWebhook({ url: 'file:///etc/passwd', log })).toThrow(/http\(s\) URL/);
  });
});
