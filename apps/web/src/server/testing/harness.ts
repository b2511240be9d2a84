import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubMessage } from '@ftpscope/shared';
import type { FastifyInstance } from 'fastify';
import { type ClientOptions, WebSocket } from 'ws';
import { type AppOptions, buildApp } from '../app.ts';
import { hashToken } from '../config.ts';
import { CollectorAuth, parseTokensFile } from '../ingest/collector-auth.ts';
import { type Engine, freshStoreSpec } from './store-engines.ts';

export const API_TOKEN = 'api-token-for-tests';
export const COLLECTOR_TOKEN = 'collector-token-all-hosts';
/** Token that may only report host "alpha". */
export const ALPHA_TOKEN = 'collector-token-alpha-only';

/** A temporary directory removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ftpscope-hub-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Collector tokens as a tokens file would give them: one for every host, one for alpha only. */
export function testCollectorAuth(): CollectorAuth {
  return new CollectorAuth(
    parseTokensFile(`${hashToken(COLLECTOR_TOKEN)} *\n${hashToken(ALPHA_TOKEN)} alpha\n`),
  );
}

/**
 * A hub on a fresh store in a temp dir (SQLite by default; a fresh database of the file's cluster with
 * `engine: 'postgres'`, see useEngine), not listening.
 */
export async function testApp(
  over: Partial<AppOptions> & { engine?: Engine } = {},
): Promise<{ app: FastifyInstance; dir: string; close: () => Promise<void> }> {
  const { dir, cleanup } = tempDir();
  const { engine = 'sqlite', ...rest } = over;
  const store = await freshStoreSpec(engine);
  const app = await buildApp({
    ...(rest.db === undefined && { store: store.spec }),
    apiToken: API_TOKEN,
    collectorAuth: testCollectorAuth(),
    retentionIntervalMs: 0,
    uiDir: join(dir, 'no-ui'),
    ...rest,
  });
  return {
    app,
    dir,
    close: async () => {
      await app.close();
      await store.cleanup();
      cleanup();
    },
  };
}

/** A hub listening on 127.0.0.1 with an ephemeral port. */
export async function listeningApp(over: Partial<AppOptions> & { engine?: Engine } = {}) {
  const t = await testApp(over);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = t.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { ...t, port, wsUrl: (path: string) => `ws://127.0.0.1:${port}${path}` };
}

/** A real WebSocket client that records messages and its close code. */
export class TestSocket {
  readonly ws: WebSocket;
  readonly messages: unknown[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  #waiters: { pred: (m: unknown) => boolean; resolve: (m: unknown) => void }[] = [];

  constructor(url: string, headers: Record<string, string> = {}, options: ClientOptions = {}) {
    this.ws = new WebSocket(url, { ...options, headers, perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as unknown;
      this.messages.push(msg);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.pred(msg)) return true;
        w.resolve(msg);
        return false;
      });
    });
  }

  /** A collector socket with a Bearer token. */
  static collector(url: string, token?: string): TestSocket {
    return new TestSocket(url, token === undefined ? {} : { authorization: `Bearer ${token}` });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** Resolves with the first message (already received or future) matching pred. */
  waitFor<T = unknown>(pred: (m: unknown) => boolean, timeoutMs = 5000): Promise<T> {
    const seen = this.messages.find(pred);
    if (seen !== undefined) return Promise.resolve(seen as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching message within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
      });
    });
  }

  /** Waits for the ack of a sequence. */
  ack(seq: number): Promise<HubMessage> {
    return this.waitFor((m) => (m as HubMessage).type === 'ack' && (m as { seq: number }).seq === seq);
  }

  welcome(): Promise<{ type: 'welcome'; lastSeq: number }> {
    return this.waitFor((m) => (m as HubMessage).type === 'welcome');
  }

  close(): void {
    this.ws.close();
  }
}
