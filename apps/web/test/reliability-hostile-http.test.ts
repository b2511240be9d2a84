import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch, CLIENT_IP, hello, rules, session } from '../src/server/testing/events.ts';
import { API_TOKEN, COLLECTOR_TOKEN, TestSocket, testApp } from '../src/server/testing/harness.ts';

const auth = { authorization: `Bearer ${API_TOKEN}` };
const NOW = Date.now();

/**
 * Routes anyone may reach: the health probe, the login that sets the cookie, the UI's static files and icon, and
 * the collector installer and packages (code only; the token travels in the command the UI shows).
 */
const PUBLIC = new Set([
  'GET /api/health',
  'HEAD /api/health',
  'POST /api/login',
  'GET /install.sh',
  'HEAD /install.sh',
  'GET /downloads/collector/:arch',
  'HEAD /downloads/collector/:arch',
  'GET /favicon.ico',
  'HEAD /favicon.ico',
  'GET /favicon.svg',
  'HEAD /favicon.svg',
  'GET /',
  'HEAD /',
  'GET /*',
  'HEAD /*',
]);

/** Every registered route as "METHOD /path", read from Fastify's route tree so new routes are covered. */
function registeredRoutes(app: FastifyInstance): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(m[2] ?? '');
    if (!m[3]) continue;
    for (const method of m[3].split(', ')) out.push({ method, path: stack.join('') });
  }
  return out;
}

/** A concrete URL for a route pattern. */
function concrete(path: string): string {
  return path.replace(/:host/g, 'alpha').replace(/:id/g, 's1').replace(/\*/g, 'x');
}

interface OpenApiParam {
  in: 'query' | 'path';
  name: string;
  schema: {
    type: string;
    format?: string;
    pattern?: string;
    maxLength?: number;
    minimum?: number;
    maximum?: number;
  };
}

/** Values that break a parameter's schema, derived from the schema itself. */
function badValues(p: OpenApiParam): string[] {
  const s = p.schema;
  const bad: string[] = [];
  if (s.type === 'boolean') bad.push('maybe');
  if (s.type === 'integer') bad.push('abc', '1.5');
  if (s.minimum !== undefined) bad.push(String(s.minimum - 1));
  if (s.maximum !== undefined) bad.push(String(s.maximum + 1));
  if (s.format === 'date-time') bad.push('yesterday', "2026-01-01' OR '1'='1");
  if (s.pattern !== undefined) bad.push("alpha';DROP TABLE hosts;--", '../etc');
  if (s.maxLength !== undefined) bad.push('x'.repeat(s.maxLength + 1));
  return bad;
}

/** SQL metacharacters, LIKE wildcards, NUL and unicode: must be data to every filter. */
const NASTY = [
  "' OR 1=1 --",
  '" OR ""="',
  "'; DROP TABLE sessions; --",
  '%',
  '_',
  '\\',
  '*',
  '\u0000',
  '𝕏😀',
  "1' UNION SELECT name FROM sqlite_master --",
];

let app: FastifyInstance;
let close: () => Promise<void>;
let dir: string;
let doc: { paths: Record<string, Record<string, { parameters?: OpenApiParam[] }>> };

beforeAll(async () => {
  ({ app, close, dir } = await testApp({ now: () => NOW }));
  const t = NOW - 5000;
  await app.store.hosts.hello(hello('alpha'), t);
  await app.store.writeBatch(
    'alpha',
    'stream-0001',
    batch(1, [{ kind: 'ruleset', at: t, rules: rules(), diff: null }, session('s1', t)]),
    t,
  );
  await app.ready();
  doc = (await app.inject({ url: '/docs/json', headers: auth })).json();
});
afterAll(async () => {
  await close();
});

describe('hostile HTTP', () => {
  it('promise: missing or wrong API token → 401 on every registered route except /api/health (and login, the UI files)', async () => {
    const routes = registeredRoutes(app);
    expect(routes.length).toBeGreaterThan(20); // the route table was read
    const checked: string[] = [];
    for (const { method, path } of routes) {
      if (PUBLIC.has(`${method} ${path}`) || path.startsWith('/ws/')) continue;
      for (const headers of [
        {},
        { authorization: 'Bearer wrong-token' },
        { authorization: `Bearer ${API_TOKEN}x` },
      ]) {
        const res = await app.inject({
          method: method as 'GET',
          url: concrete(path),
          headers,
          ...(method === 'POST' && { payload: {} }),
        });
        expect(res.statusCode, `${method} ${path} with ${JSON.stringify(headers)}`).toBe(401);
      }
      checked.push(`${method} ${path}`);
    }
    expect(checked).toEqual(
      expect.arrayContaining(['GET /api/hosts', 'GET /metrics', 'GET /docs/json', 'POST /api/logout']),
    );
    expect((await app.inject('/api/health')).statusCode).toBe(200);
  });

  it('promise: the WebSocket routes refuse a missing or wrong token (4401)', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const wsRoutes = registeredRoutes(app).filter((r) => r.path.startsWith('/ws/') && r.method === 'GET');
    expect(wsRoutes.map((r) => r.path).sort()).toEqual(['/ws/collector', '/ws/live']);
    for (const { path } of wsRoutes) {
      for (const token of [undefined, 'wrong-token', path === '/ws/live' ? COLLECTOR_TOKEN : API_TOKEN]) {
        const s = TestSocket.collector(`ws://127.0.0.1:${port}${path}`, token);
        expect((await s.closed).code, `${path} with ${token}`).toBe(4401);
      }
    }
  });

  it('promise: tokens of any length are compared safely (401, never 500)', async () => {
    for (const token of ['a', 'x'.repeat(4000), `${API_TOKEN}\u0000`, API_TOKEN.toUpperCase()]) {
      const res = await app.inject({ url: '/api/hosts', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(401);
    }
  });

  it('promise: invalid parameters → 400 naming the parameter, on every documented parameter', async () => {
    let cases = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const p of op.parameters ?? []) {
          for (const bad of badValues(p)) {
            const url =
              p.in === 'path'
                ? path.replace(/\{(\w+)\}/g, (_, name: string) =>
                    name === p.name ? encodeURIComponent(bad) : name === 'host' ? 'alpha' : 's1',
                  )
                : `${path.replace(/\{host\}/, 'alpha').replace(/\{id\}/, 's1')}?${p.name}=${encodeURIComponent(bad)}${path === '/api/timeline' && p.name !== 'client' ? `&client=${CLIENT_IP}` : ''}`;
            const res = await app.inject({ method: method.toUpperCase() as 'GET', url, headers: auth });
            const where = `${method.toUpperCase()} ${url} (${p.in} ${p.name} = ${bad.slice(0, 40)})`;
            // A path value with a slash may simply not match the route: 404 is fine there, 500 never.
            if (p.in === 'path' && bad.includes('/')) {
              expect([400, 404], where).toContain(res.statusCode);
              continue;
            }
            expect(res.statusCode, where).toBe(400);
            expect(res.json().message, where).toContain(
              `${p.in === 'query' ? 'querystring' : 'params'}/${p.name}`,
            );
            cases++;
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(40);
  });

  it('promise: SQL metacharacters and very long strings in every filter are data: no 500, no injection', async () => {
    let cases = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const op of Object.values(ops)) {
        for (const p of op.parameters ?? []) {
          if (p.in !== 'query' || p.schema.type !== 'string' || p.schema.format) continue;
          const long = 'A'.repeat(p.schema.maxLength ?? 10_000);
          for (const value of [...NASTY, long]) {
            const url = `${path.replace(/\{host\}/, 'alpha').replace(/\{id\}/, 's1')}?${p.name}=${encodeURIComponent(value)}`;
            const res = await app.inject({ url, headers: auth });
            expect([200, 400, 404], `${url}`).toContain(res.statusCode);
            if (res.statusCode === 200 && Array.isArray(res.json())) {
              // Nothing matches a hostile filter: an injected OR 1=1 would return rows.
              expect(res.json(), url).toEqual([]);
            }
            cases++;
          }
        }
      }
    }
    // Path parameters get the same treatment.
    for (const value of NASTY) {
      for (const url of [
        `/api/sessions/${encodeURIComponent(value)}`,
        `/api/hosts/alpha/rules/${encodeURIComponent(value)}/series`,
      ]) {
        const res = await app.inject({ url, headers: auth });
        expect([400, 404], url).toContain(res.statusCode);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(50);
    // The data is intact.
    expect(await app.store.count('sessions')).toBe(1);
    expect((await app.inject({ url: '/api/hosts', headers: auth })).json()).toHaveLength(1);
  });

  it('promise: response headers: nosniff and a CSP everywhere, no stack trace even on a 500', async () => {
    for (const url of ['/', '/api/health', '/api/hosts', '/api/nothing']) {
      const res = await app.inject({ url, headers: { ...auth, accept: 'text/html' } });
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['content-security-policy'], url).toMatch(/default-src 'self'.*script-src 'self'/);
      expect(res.headers['x-frame-options'], url).toBe('DENY');
    }
    // A real internal error: the store goes away under a running hub.
    const broken = await testApp();
    try {
      await broken.app.store.close();
      const res = await broken.app.inject({ url: '/api/hosts', headers: auth });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ code: 'FTPSCOPE_ERR_INTERNAL', message: 'internal error' });
      expect(res.body).not.toMatch(/\bat .*\.ts:\d+|Error:|sqlite/i);
    } finally {
      await broken.close().catch(() => {});
    }
  });
});

describe('static files', () => {
  let ui: FastifyInstance;
  let port = 0;
  let closeUi: () => Promise<void>;

  beforeAll(async () => {
    const dist = join(dir, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>ftpscope ui</title>');
    writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dist, 'assets', 'app-DjKPHblg.js'), 'console.log(2)');
    writeFileSync(join(dir, 'secret.txt'), 'TOP-SECRET-CONTENT');
    const t = await testApp({ uiDir: dist });
    ui = t.app;
    closeUi = t.close;
    await ui.listen({ host: '127.0.0.1', port: 0 });
    const addr = ui.server.address();
    port = typeof addr === 'object' && addr ? addr.port : 0;
  });
  afterAll(async () => {
    await closeUi();
  });

  /** A raw HTTP request: the path goes on the wire exactly as written (fetch would normalise ../). */
  function raw(path: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
    return new Promise((done, fail) => {
      const req = request(
        { host: '127.0.0.1', port, path, method: 'GET', headers: { accept: 'text/html' } },
        (res) => {
          let body = '';
          res.on('data', (b: Buffer) => {
            body += b.toString();
          });
          res.on('end', () => done({ status: res.statusCode ?? 0, body, headers: res.headers }));
        },
      );
      req.on('error', fail);
      req.end();
    });
  }

  it('promise: path traversal against the static files never returns file contents', async () => {
    const attempts = [
      '/../../etc/passwd',
      '/../secret.txt',
      '/..%2f..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/%2e%2e%2fsecret.txt',
      '/%252e%252e/%252e%252e/etc/passwd',
      '/assets/../../secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%5c..%5csecret.txt',
      '/.%2e/.%2e/etc/passwd',
      '//etc/passwd',
      '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
      '/assets/app.js%00.html',
      `/${'../'.repeat(20)}etc/passwd`,
    ];
    for (const path of attempts) {
      const res = await raw(path);
      expect(res.status, path).toBeLessThan(500);
      expect(res.body, path).not.toContain('root:x:0:0');
      expect(res.body, path).not.toContain('TOP-SECRET-CONTENT');
    }
    // The legitimate files are still served, with the UI's CSP.
    const index = await raw('/');
    expect(index.body).toContain('ftpscope ui');
    expect(String(index.headers['content-security-policy'])).toContain("script-src 'self'");
    expect((await raw('/assets/app.js')).body).toBe('console.log(1)');
  });

  it('content-hashed assets are cached for good; index.html and unhashed files are revalidated', async () => {
    const hashed = await raw('/assets/app-DjKPHblg.js');
    expect(hashed.body).toBe('console.log(2)');
    expect(hashed.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const path of ['/', '/index.html', '/hosts/alpha', '/assets/app.js']) {
      const res = await raw(path);
      expect(res.status, path).toBe(200);
      expect(res.headers['cache-control'], path).toBe('no-cache');
    }
  });
});
