import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { PROTOCOL_VERSION } from '@ftpscope/shared';
import { spkiPin } from '@ftpscope/shared/tls-pin';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { type HostStream, startHostStream } from '../src/transport/host-stream.ts';
import { captureLogger, TestHostMonitor } from './transport-helpers.ts';

/**
 * --hub-fingerprint: the collector checks the hub certificate's key before the HTTP upgrade is written, so a
 * hub with another key gets nothing (not even the Authorization header) and the log names both pins.
 */

const TOKEN = 'fsc_pinned-test-token';
const work = mkdtempSync(join(tmpdir(), 'ftpscope-pin-'));
let cert: Buffer;
let key: Buffer;
let otherCert: Buffer;
const streams: HostStream[] = [];
const servers: (HttpsServer | TlsServer)[] = [];

/** A self-signed P-256 certificate made by the real openssl, as the hub makes its own. */
function selfSigned(name: string): { cert: Buffer; key: Buffer } {
  const c = join(work, `${name}.pem`);
  const k = join(work, `${name}.key`);
  // biome-ignore format: openssl options in pairs
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', `/CN=${name}`, '-keyout', k, '-out', c,
  ], { stdio: 'ignore' });
  return { cert: readFileSync(c), key: readFileSync(k) };
}

async function listen<S extends HttpsServer | TlsServer>(server: S): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

async function connect(url: string, fingerprint: string) {
  const { log, lines } = captureLogger();
  const stream = await startHostStream({
    host: 'ftp1',
    monitor: new TestHostMonitor(),
    hubUrl: url,
    token: TOKEN,
    hubFingerprint: fingerprint,
    collectorVersion: '0.1.0',
    spoolDir: join(work, `spool-${streams.length}`),
    log,
    backoff: { baseMs: 50, capMs: 200, stableMs: 5_000 },
  });
  streams.push(stream);
  return { stream, lines };
}

async function until<T>(what: string, fn: () => T | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(() => {
  ({ cert, key } = selfSigned('hub'));
  otherCert = selfSigned('impostor').cert;
});
afterEach(async () => {
  await Promise.all(streams.splice(0).map((s) => s.stop(0)));
  for (const s of servers.splice(0)) s.close();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('collector pins the hub certificate key', () => {
  it('connects to the hub whose key matches, over wss, with no CA involved', async () => {
    const server = createHttpsServer({ cert, key });
    const wss = new WebSocketServer({ server, path: '/ws/collector' });
    const auth: string[] = [];
    wss.on('connection', (ws, req) => {
      auth.push(String(req.headers.authorization));
      ws.on('message', (raw) => {
        if (JSON.parse(raw.toString()).type === 'hello')
          ws.send(JSON.stringify({ type: 'welcome', protocolVersion: PROTOCOL_VERSION, lastSeq: 0 }));
      });
    });
    const port = await listen(server);
    const { stream } = await connect(`wss://127.0.0.1:${port}/ws/collector`, spkiPin(cert));
    await until('the collector to be live', () => stream.client.state === 'live');
    expect(auth).toEqual([`Bearer ${TOKEN}`]);
    wss.close();
  });

  it('sends nothing to a hub with another key and says which key it found and which it expected', async () => {
    // A bare TLS server: every byte after the handshake would be the HTTP upgrade with the token.
    let connections = 0;
    let bytes = 0;
    const server = createTlsServer({ cert, key }, (socket) => {
      socket.on('data', (b: Buffer) => {
        bytes += b.length;
      });
      socket.on('error', () => {});
    });
    server.on('connection', () => {
      connections += 1;
    });
    server.on('tlsClientError', () => {});
    const port = await listen(server);
    const expected = spkiPin(otherCert);
    const { stream, lines } = await connect(`wss://127.0.0.1:${port}/ws/collector`, expected);
    const refused = await until('two refused attempts', () => {
      const r = lines.filter((l) => String(l.msg).startsWith('refusing the hub'));
      return r.length >= 2 && r;
    });
    expect(connections).toBeGreaterThanOrEqual(2);
    expect(bytes).toBe(0);
    expect(stream.client.state).not.toBe('live');
    const [first] = refused;
    expect(first).toMatchObject({ level: 50, expected, actual: spkiPin(cert) });
    expect(String(first?.msg)).toContain(spkiPin(cert));
    expect(String(first?.msg)).toContain(expected);
    expect(String(first?.msg)).toMatch(/nothing was sent/);
    // Control: with the right pin the same server does receive the upgrade request, so 0 above means nothing.
    await connect(`wss://127.0.0.1:${port}/ws/collector`, spkiPin(cert));
    await until('the upgrade request to arrive', () => bytes > 0);
  });

  it('the pin is the SHA-256 of the key as openssl computes it (the form curl --pinnedpubkey takes)', () => {
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], {
      input: execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: cert }),
    });
    const digest = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der }).toString('base64');
    expect(spkiPin(cert)).toBe(`sha256//${digest}`);
  });
});
