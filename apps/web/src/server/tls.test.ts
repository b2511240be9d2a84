import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, optionsFromConfig } from './app.ts';
import { parseCommand } from './config.ts';
import { batch, hello, session } from './testing/events.ts';
import { API_TOKEN, COLLECTOR_TOKEN, TestSocket, tempDir } from './testing/harness.ts';

/** One HTTPS request trusting only `ca`: status, headers and body. */
function get(
  url: string,
  opts: { ca?: Buffer; method?: string; body?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        ...(opts.ca && { ca: opts.ca }),
        ...(opts.body && { headers: { 'content-type': 'application/json' } }),
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('hub over TLS (--tls-cert/--tls-key)', () => {
  const { dir, cleanup } = tempDir();
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  let app: FastifyInstance;
  let base: string;
  let ca: Buffer;

  beforeAll(async () => {
    // A self-signed P-256 certificate for 127.0.0.1; Node checks an IP host against the subjectAltName only.
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    ca = readFileSync(cert);
    const cmd = parseCommand(
      [
        '--listen',
        '127.0.0.1:0',
        '--db',
        join(dir, 'hub.db'),
        '--api-token',
        API_TOKEN,
        '--collector-token',
        COLLECTOR_TOKEN,
        '--tls-cert',
        cert,
        '--tls-key',
        key,
        '--ui-dir',
        join(dir, 'no-ui'),
        '--log-level',
        'silent',
      ],
      {},
    );
    if (cmd.kind !== 'serve') throw new Error('expected the serve command');
    app = await buildApp({ ...optionsFromConfig(cmd.config), retentionIntervalMs: 0 });
    await app.listen({ host: cmd.config.host, port: cmd.config.port });
    const addr = app.server.address();
    base = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    cleanup();
  });

  it('serves HTTPS with the given certificate, and a client that does not trust it is refused', async () => {
    const res = await get(`https://${base}/api/health`, { ca });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true, version: expect.any(String) });
    await expect(get(`https://${base}/api/health`)).rejects.toThrow(/self[- ]signed/i);
  });

  it('marks the login cookie Secure', async () => {
    const res = await get(`https://${base}/api/login`, {
      ca,
      method: 'POST',
      body: JSON.stringify({ token: API_TOKEN }),
    });
    expect(res.status).toBe(204);
    expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
  });

  it('accepts a collector over WSS and stores its batch', async () => {
    const c = new TestSocket(
      `wss://${base}/ws/collector`,
      { authorization: `Bearer ${COLLECTOR_TOKEN}` },
      { ca },
    );
    await c.opened;
    c.send(hello('tls-host'));
    expect(await c.welcome()).toMatchObject({ type: 'welcome', lastSeq: 0 });
    c.send(batch(1, [session('s1', Date.now())]));
    await c.ack(1);
    c.close();
    const hosts = await app.inject({ url: '/api/hosts', headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(hosts.json()).toEqual([expect.objectContaining({ name: 'tls-host', activeSessions: 1 })]);
  });
});
