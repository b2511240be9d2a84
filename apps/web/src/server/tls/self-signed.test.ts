import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { spkiPin } from '@ftpscope/shared/tls-pin';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { buildApp, optionsFromConfig } from '../app.ts';
import { parseCommand } from '../config.ts';
import { listenHub } from '../listen.ts';
import { API_TOKEN, tempDir } from '../testing/harness.ts';
import { resolveTls } from './resolve.ts';
import { ensureSelfSigned } from './self-signed.ts';

const { dir, cleanup } = tempDir();
afterAll(cleanup);

const serve = (argv: string[]) => {
  const cmd = parseCommand(
    ['--api-token', API_TOKEN, '--db', join(dir, 'hub.db'), ...argv],
    {},
    { exitOverride: true },
  );
  if (cmd.kind !== 'serve') throw new Error('expected serve');
  return cmd.config;
};

/** GET over HTTPS trusting nothing but the pin (what a collector does), returning status and the key pin seen. */
function pinnedGet(url: string): Promise<{ status: number; pin: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false }, (res) => {
      const raw = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().raw;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, pin: spkiPin(raw) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the hub on a network: TLS by default', () => {
  it('makes a self-signed certificate once, key readable only by the hub, and keeps it across starts', () => {
    const tls = join(dir, 'made');
    const first = ensureSelfSigned(tls);
    expect(first.created).toBe(true);
    expect(statSync(join(tls, 'key.pem')).mode & 0o777).toBe(0o600);
    const again = ensureSelfSigned(tls);
    expect(again.created).toBe(false);
    expect(spkiPin(again.cert)).toBe(spkiPin(first.cert));
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], {
      input: first.cert,
      encoding: 'utf8',
    });
    expect(text).toContain('IP Address:127.0.0.1');
  });

  it('uses TLS on any non-loopback address or with --tls on, plain HTTP only on loopback', () => {
    expect(resolveTls(serve(['--listen', '127.0.0.1:0']))).toBeUndefined();
    expect(resolveTls(serve(['--listen', '[::1]:0']))).toBeUndefined();
    const all = resolveTls(serve(['--listen', '0.0.0.0:0']));
    expect(all?.selfSigned).toEqual({ file: join(dir, 'tls/cert.pem'), created: true });
    const forced = resolveTls(serve(['--listen', '127.0.0.1:0', '--tls', 'on']));
    expect(forced?.selfSigned?.created).toBe(false);
    expect(spkiPin(forced?.cert ?? '')).toBe(spkiPin(all?.cert ?? ''));
  });

  it('serves TLS on --listen and the same hub over plain HTTP on --plain-listen (API and WebSockets)', async () => {
    const config = serve(['--listen', '127.0.0.1:0', '--tls', 'on', '--plain-listen', '127.0.0.1:0']);
    const options = optionsFromConfig(config);
    const app = await buildApp({
      ...options,
      logger: false,
      retentionIntervalMs: 0,
      uiDir: join(dir, 'no-ui'),
    });
    try {
      const { url, plainUrl } = await listenHub(app, {
        host: '127.0.0.1',
        port: 0,
        tls: true,
        plain: { host: '127.0.0.1', port: 0 },
      });
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const tls = await pinnedGet(`${url}/api/health`);
      expect(tls).toEqual({ status: 200, pin: spkiPin(options.tls?.cert ?? '') });
      const plain = await fetch(`${plainUrl}/api/install-info`, {
        headers: { authorization: `Bearer ${API_TOKEN}` },
      });
      expect(await plain.json()).toMatchObject({ hubUrl: plainUrl, fingerprint: tls.pin });
      // Idle connections are kept as long as on the main listener (Fastify's 72 s), not Node's 5 s.
      expect(plain.headers.get('keep-alive')).toBe(`timeout=${app.server.keepAliveTimeout / 1000}`);
      expect(app.server.keepAliveTimeout).toBeGreaterThan(5000);
      const ws = new WebSocket(`${plainUrl?.replace('http', 'ws')}/ws/live`, {
        headers: { authorization: `Bearer ${API_TOKEN}` },
      });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      ws.close();
    } finally {
      await app.close();
    }
  });
});
