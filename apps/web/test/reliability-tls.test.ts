import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Child, freePort, HUB_MAIN, until, workDir } from './reliability-helpers.ts';

/** Hub over TLS (--tls-cert/--tls-key): collectors use wss:// and verify the certificate before sending a token. */
const API_TOKEN = 'tls-api-token-123';
const COLLECTOR_TOKEN = 'tls-collector-token-123';
const REPLAY = join(import.meta.dirname, 'reliability-replay-collector.ts');
const { dir, cleanup } = workDir('tls');
const children: Child[] = [];
afterAll(async () => {
  for (const c of children) await c.kill9();
  cleanup();
});

function httpsGet(port: number, path: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(
      { host: '127.0.0.1', port, path, ca, headers: { authorization: `Bearer ${API_TOKEN}` } },
      (res) => {
        let body = '';
        res.on('data', (b: Buffer) => {
          body += b.toString();
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', fail);
    req.end();
  });
}

it('promise: with --tls-cert/--tls-key collectors stream over wss://, and a collector that cannot verify the hub never connects', async () => {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  // A self-signed certificate for 127.0.0.1, as an operator with a private CA would have.
  const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
  const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key];
  const gen = spawnSync('openssl', ['req', '-x509', ...keyArgs, '-days', '1', '-out', cert, ...subject], {
    encoding: 'utf8',
  });
  expect(gen.status, gen.stderr).toBe(0);
  const ca = readFileSync(cert);
  const port = await freePort();
  const hub = new Child(
    HUB_MAIN,
    ['--listen', `127.0.0.1:${port}`, '--db', join(dir, 'hub.db'), '--tls-cert', cert, '--tls-key', key],
    {
      FTPSCOPE_API_TOKEN: API_TOKEN,
      FTPSCOPE_COLLECTOR_TOKEN: COLLECTOR_TOKEN,
      FTPSCOPE_LOG_LEVEL: 'info',
    },
  );
  children.push(hub);
  await until(
    'the hub over https',
    async () => (await httpsGet(port, '/api/health', ca)).status === 200,
    30_000,
  );

  const trusting = new Child(
    REPLAY,
    [`wss://127.0.0.1:${port}/ws/collector`, 'tls1', join(dir, 'spool'), '50', '100'],
    {
      FTPSCOPE_TOKEN: COLLECTOR_TOKEN,
      NODE_EXTRA_CA_CERTS: cert,
    },
  );
  const untrusting = new Child(
    REPLAY,
    [`wss://127.0.0.1:${port}/ws/collector`, 'tls2', join(dir, 'spool'), '50', '100'],
    {
      FTPSCOPE_TOKEN: COLLECTOR_TOKEN,
    },
  );
  children.push(trusting, untrusting);
  await until('the trusting collector to drain', () => trusting.out.includes('drained'), 30_000);
  const drops = JSON.parse((await httpsGet(port, '/api/drops?host=tls1&limit=1000', ca)).body) as unknown[];
  expect(drops).toHaveLength(50);

  await until(
    'the untrusting collector to give up on the certificate',
    () => /certificate/i.test(untrusting.err),
    15_000,
  );
  expect(untrusting.running).toBe(true); // keeps collecting into its spool, retries later
  expect(hub.out).not.toContain('"host":"tls2"');
  const hosts = JSON.parse((await httpsGet(port, '/api/hosts', ca)).body) as { name: string }[];
  expect(hosts.map((h) => h.name)).toEqual(['tls1']);
});
