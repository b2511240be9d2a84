import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  batch,
  CLIENT_IP,
  counters,
  data,
  expectation,
  hello,
  POLICY_ID,
  rules,
  session,
} from './testing/events.ts';
import { API_TOKEN, tempDir, testApp } from './testing/harness.ts';
import { ENGINES, useEngine } from './testing/store-engines.ts';

const auth = { authorization: `Bearer ${API_TOKEN}` };
const NOW = Date.parse('2026-03-01T12:00:00.000Z');

/** Every authenticated GET route with a valid example URL. */
const ROUTES = [
  '/api/hosts',
  '/api/hosts/alpha',
  '/api/hosts/alpha/health',
  '/api/hosts/alpha/sessions',
  '/api/sessions/s1',
  '/api/hosts/alpha/rules',
  `/api/hosts/alpha/rules/${encodeURIComponent(POLICY_ID)}/series`,
  '/api/hosts/alpha/ruleset-changes',
  '/api/drops',
  `/api/timeline?client=${CLIENT_IP}`,
  '/api/gaps',
  '/api/diagnoses',
  '/api/session-check',
  '/metrics',
  '/docs/json',
];

/** Invalid parameters per route, with the parameter the 400 must name. */
const BAD_PARAMS: [string, string][] = [
  ['/api/hosts/bad%20host', 'params/host'],
  ['/api/hosts/alpha/sessions?active=maybe', 'querystring/active'],
  ['/api/hosts/alpha/sessions?from=yesterday', 'querystring/from'],
  ['/api/hosts/alpha/sessions?limit=0', 'querystring/limit'],
  [`/api/hosts/alpha/sessions?client=${'1'.repeat(65)}`, 'querystring/client'],
  ['/api/hosts/alpha/rules/x/series?step=0', 'querystring/step'],
  ['/api/hosts/alpha/rules/x/series?to=2026-13-01', 'querystring/to'],
  ['/api/hosts/alpha/ruleset-changes?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', 'querystring/from'],
  ['/api/drops?limit=abc', 'querystring/limit'],
  ["/api/drops?host=a'%20OR%201=1--&from=x", 'querystring/from'],
  ['/api/timeline', 'querystring/client'],
  ['/api/timeline?client=1.2.3.4&to=now', 'querystring/to'],
  ['/api/gaps?from=1', 'querystring/from'],
  ['/api/diagnoses?active=2', 'querystring/active'],
  [`/api/sessions/${'x'.repeat(129)}`, 'params/id'],
];

async function seed(app: FastifyInstance): Promise<void> {
  const s = app.store;
  await s.hosts.hello(hello('alpha'), NOW - 10_000);
  const t = NOW - 5_000;
  await s.writeBatch(
    'alpha',
    'stream-0001',
    batch(1, [
      { kind: 'ruleset', at: t - 60_000, rules: rules(), diff: null },
      {
        kind: 'ruleset',
        at: t - 30_000,
        rules: rules(),
        diff: {
          added: ['-A INPUT -p tcp --dport 21 -j ACCEPT'],
          removed: [],
          moved: [],
          policyChanges: [{ family: 'ipv4', table: 'filter', chain: 'INPUT', from: 'ACCEPT', to: 'DROP' }],
        },
      },
      {
        kind: 'ruleset',
        at: t - 20_000,
        notBefore: t - 21_000,
        rules: rules(),
        diff: { added: ['-A INPUT -p tcp --dport 2121 -j DROP'], removed: [], moved: [], policyChanges: [] },
      },
      session('s1', t),
      expectation('x1', 's1', t + 10, { fulfilledAt: t + 20 }),
      data('d1', 's1', t + 20, true),
      session('s2', t + 100, { mode: 'passive', helper: null }),
      data('d2', 's2', t + 200, false),
      counters(t + 1000, 100, 7),
      counters(t + 2000, 104, 4),
      {
        kind: 'drop',
        drop: {
          at: t + 210,
          group: 5,
          ruleId: POLICY_ID,
          prefix: 'ftp-drop',
          proto: 'TCP',
          src: CLIENT_IP,
          dst: '198.18.1.1',
          sport: 45002,
          dport: 30043,
          flags: 'S',
        },
      },
      {
        kind: 'gap',
        gap: {
          at: t + 300,
          source: 'conntrack-events',
          reason: 'ENOBUFS: resynchronised',
          fromSeq: null,
          toSeq: null,
        },
      },
      {
        kind: 'health',
        health: {
          at: t,
          conntrackCount: 12,
          conntrackMax: 262144,
          expectCount: 1,
          expectMax: 4096,
          stats: { drop: 0, early_drop: 0, insert_failed: 0, invalid: 3 },
          acct: true,
          timestamp: false,
          helperRules: [],
        },
      },
    ]),
    t,
  );
}

describe('hub HTTP API: auth, validation, errors', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ app, close } = await testApp({ now: () => NOW }));
    await seed(app);
  });
  afterEach(async () => {
    await close();
  });

  it('GET /api/health needs no token', async () => {
    const res = await app.inject('/api/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, version: expect.any(String) });
  });

  it.each(ROUTES)('%s: 401 without or with a wrong token, 200 with it', async (url) => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { cookie: 'ftpscope_session=forged' }]) {
      const res = await app.inject({ url, headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ code: 'FTPSCOPE_ERR_UNAUTHORIZED', message: 'missing or wrong token' });
    }
    const ok = await app.inject({ url, headers: auth });
    expect([200, 204]).toContain(ok.statusCode);
  });

  it('a percent-encoded path cannot bypass auth', async () => {
    expect((await app.inject('/%61pi/hosts')).statusCode).toBe(401);
    expect((await app.inject('/api/hosts/')).statusCode).toBe(401);
  });

  it.each(BAD_PARAMS)('%s → 400 naming %s', async (url, param) => {
    const res = await app.inject({ url, headers: auth });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('FTPSCOPE_ERR_BAD_PARAM');
    expect(body.message).toContain(param);
  });

  it('login sets an HttpOnly SameSite=Strict cookie that authenticates API calls; logout clears it', async () => {
    const bad = await app.inject({ method: 'POST', url: '/api/login', payload: { token: 'nope' } });
    expect(bad.statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/login', payload: {} })).json().message).toContain(
      'token',
    );
    const res = await app.inject({ method: 'POST', url: '/api/login', payload: { token: API_TOKEN } });
    expect(res.statusCode).toBe(204);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^ftpscope_session=[\w-]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(API_TOKEN);
    const cookie = setCookie.split(';')[0] ?? '';
    expect((await app.inject({ url: '/api/session-check', headers: { cookie } })).statusCode).toBe(204);
    expect((await app.inject({ url: '/api/hosts', headers: { cookie } })).statusCode).toBe(200);
    // A browser sends its page's Origin with every POST; the hub's own is accepted.
    const out = await app.inject({
      method: 'POST',
      url: '/api/logout',
      headers: { cookie, origin: 'http://localhost' },
    });
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
  });

  it('errors are JSON from the catalogue with security headers and no stack', async () => {
    const res = await app.inject({ url: '/api/nothing-here', headers: auth });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      code: 'FTPSCOPE_ERR_NOT_FOUND',
      message: 'not found: GET /api/nothing-here',
    });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    const bad = await app.inject({
      method: 'POST',
      url: '/api/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"token":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain('at ');
  });

  it('serves a placeholder telling to run pnpm build when the UI is not built', async () => {
    for (const url of ['/', '/hosts/alpha']) {
      const res = await app.inject({ url, headers: { accept: 'text/html' } });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('pnpm build');
    }
  });

  it('/docs serves the OpenAPI document behind the token', async () => {
    const doc = (await app.inject({ url: '/docs/json', headers: auth })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/hosts', '/api/timeline', '/api/hosts/{host}/rules/{id}/series']),
    );
    expect(Object.keys(doc.paths)).not.toContain('/ws/collector');
    for (const documented of ['dropsTrend', 'seenAt', 'rule-drops', 'host=NAME (all clients of that host)'])
      expect(JSON.stringify(doc)).toContain(documented);
  });
});

// Every route that reads the store, on every engine.
describe.each(ENGINES)('hub HTTP API: stored data (%s)', (engine) => {
  useEngine(engine);
  let app: FastifyInstance;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ app, close } = await testApp({ now: () => NOW, engine }));
    await seed(app);
  });
  afterEach(async () => {
    await close();
  });

  it('GET /api/hosts summarises each host', async () => {
    const [h] = (await app.inject({ url: '/api/hosts', headers: auth })).json();
    expect(h).toEqual({
      name: 'alpha',
      connected: true,
      lastSeen: new Date(NOW - 5000).toISOString(),
      kernel: '6.1.0-test',
      backends: ['iptables-nft'],
      activeSessions: 2,
      openExpectations: 0,
      dropsPerMinute: 11,
      // 30 one-minute buckets ending with the current minute (12:00); both polls fell in 11:59
      dropsTrend: [...new Array(28).fill(0), 11, 0],
      activeDiagnoses: 0,
    });
    expect((await app.inject({ url: '/api/hosts/nohost', headers: auth })).json().code).toBe(
      'FTPSCOPE_ERR_NOT_FOUND',
    );
  });

  it('dropsTrend sums drop rules and DROP policies per minute over the last 30 minutes only', async () => {
    const accept = rules()[1]?.id ?? '';
    const at = (minutesAgo: number) => NOW - minutesAgo * 60_000;
    // A host of its own: the store takes each delta from the totals, so its samples must come in time order.
    await app.store.hosts.hello(hello('gamma'), NOW - 50 * 60_000);
    await app.store.writeBatch(
      'gamma',
      'stream-0001',
      batch(1, [
        { kind: 'ruleset', at: at(50), rules: rules(), diff: null },
        counters(at(45), 200, 50), // before the window
        {
          kind: 'counters',
          at: at(10),
          intervalMs: 1000,
          counters: [{ ruleId: accept, packets: 900, bytes: 9e4, dPackets: 900, dBytes: 9e4 }],
        },
        counters(at(10), 205, 5),
        counters(at(10) + 20_000, 208, 3),
      ]),
      NOW,
    );
    const { dropsTrend } = (await app.inject({ url: '/api/hosts/gamma', headers: auth })).json();
    expect(dropsTrend).toHaveLength(30);
    expect(dropsTrend[19]).toBe(8); // 11:50, ten minutes before the current minute
    expect(dropsTrend.reduce((a: number, b: number) => a + b, 0)).toBe(8);
    const listed = (await app.inject({ url: '/api/hosts', headers: auth }))
      .json()
      .find((h: { name: string }) => h.name === 'gamma');
    expect(listed.dropsTrend).toEqual(dropsTrend);
    // alpha's seeded drops (7 + 4, seconds ago) are in the current minute of its own trend.
    const alpha = (await app.inject({ url: '/api/hosts/alpha', headers: auth })).json();
    expect(alpha.dropsTrend.reduce((a: number, b: number) => a + b, 0)).toBe(11);
  });

  it('expectations carry timeout and seenAt (the batch time); open ones lapse at seenAt + timeout', async () => {
    // created 100 s ago, reported 60 s ago with 90 s left: still open now, although created + timeout has passed
    await app.store.writeBatch(
      'alpha',
      'stream-0001',
      batch(2, [expectation('x9', 's1', NOW - 100_000, { timeout: 90, port: 30050 })], NOW - 60_000),
      NOW,
    );
    const [s1] = (await app.inject({ url: '/api/hosts/alpha/sessions?active=true', headers: auth }))
      .json()
      .filter((s: { id: string }) => s.id === 's1');
    expect(s1.expectations.find((e: { id: string }) => e.id === 'x9')).toEqual({
      id: 'x9',
      port: 30050,
      mode: 'passive',
      createdAt: new Date(NOW - 100_000).toISOString(),
      timeout: 90,
      seenAt: new Date(NOW - 60_000).toISOString(),
      fulfilledAt: null,
      expiredAt: null,
    });
    expect((await app.inject({ url: '/api/hosts/alpha', headers: auth })).json().openExpectations).toBe(1);
  });

  it('GET /api/hosts/:host/sessions returns sessions with expectations and data connections', async () => {
    const res = await app.inject({
      url: `/api/hosts/alpha/sessions?client=${CLIENT_IP}&active=true`,
      headers: auth,
    });
    const list = res.json();
    expect(list.map((s: { id: string }) => s.id)).toEqual(['s2', 's1']);
    expect(list[1]).toMatchObject({
      host: 'alpha',
      helper: 'ftp',
      mode: 'passive',
      endedAt: null,
      expectations: [{ id: 'x1', port: 30042, fulfilledAt: new Date(NOW - 5000 + 20).toISOString() }],
      dataConnections: [{ id: 'd1', established: true, bytes: 1048576 }],
    });
    expect(
      (await app.inject({ url: '/api/hosts/alpha/sessions?active=false', headers: auth })).json(),
    ).toEqual([]);
    expect(
      (await app.inject({ url: '/api/hosts/alpha/sessions?limit=1', headers: auth })).json(),
    ).toHaveLength(1);
    expect((await app.inject({ url: '/api/sessions/s1', headers: auth })).json().id).toBe('s1');
    expect((await app.inject({ url: '/api/sessions/zzz', headers: auth })).statusCode).toBe(404);
  });

  it('SQL metacharacters in filters are data, not SQL', async () => {
    const res = await app.inject({
      url: `/api/hosts/alpha/sessions?client=${encodeURIComponent("' OR 1=1 --")}`,
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([]);
    const drops = await app.inject({
      url: `/api/drops?host=${encodeURIComponent('alpha" OR ""="')}`,
      headers: auth,
    });
    expect(drops.json()).toEqual([]);
  });

  it('GET /api/hosts/:host/rules gives chain order, counters and drops of the last minute', async () => {
    const list = (await app.inject({ url: '/api/hosts/alpha/rules', headers: auth })).json();
    expect(list).toHaveLength(4);
    expect(list[0]).toMatchObject({
      id: POLICY_ID,
      isPolicy: true,
      verdict: 'drop',
      packets: 104,
      dropsLastMinute: 11,
    });
    expect(list[1]).toMatchObject({ position: 1, verdict: 'accept', dropsLastMinute: 0 });
  });

  it('GET series picks raw samples for short ranges and minute rollups for long ones', async () => {
    const url = `/api/hosts/alpha/rules/${encodeURIComponent(POLICY_ID)}/series`;
    const raw = await app.inject({
      url: `${url}?from=${new Date(NOW - 60_000).toISOString()}&to=${new Date(NOW).toISOString()}&step=10`,
      headers: auth,
    });
    expect(raw.headers['x-ftpscope-tier']).toBe('raw');
    const points = raw.json();
    expect(points).toHaveLength(6);
    expect(points.reduce((n: number, p: { packets: number }) => n + p.packets, 0)).toBe(11);
    const long = await app.inject({
      url: `${url}?from=${new Date(NOW - 86_400_000).toISOString()}&to=${new Date(NOW).toISOString()}`,
      headers: auth,
    });
    expect(long.headers['x-ftpscope-tier']).toBe('1m');
    const lp = long.json();
    expect(lp.length).toBeLessThanOrEqual(300);
    expect(lp.reduce((n: number, p: { packets: number }) => n + p.packets, 0)).toBe(11);
    // step=1 over a week reads the 1-minute rollups: 10,080 points, within the limit once rounded
    const week = await app.inject({
      url: `${url}?from=${new Date(NOW - 7 * 86_400_000).toISOString()}&to=${new Date(NOW).toISOString()}&step=1`,
      headers: auth,
    });
    expect(week.statusCode).toBe(200);
    expect(week.headers['x-ftpscope-tier']).toBe('1m');
    expect(week.json()).toHaveLength(7 * 1440);
    // 6 h of raw 1 s buckets is too many; the 400 names a step that fits, and that step works
    const sixHours = `${url}?from=${new Date(NOW - 6 * 3_600_000).toISOString()}&to=${new Date(NOW).toISOString()}`;
    const tooMany = await app.inject({ url: `${sixHours}&step=1`, headers: auth });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().message).toContain('querystring/step is too small for the range: 21600 points');
    expect(tooMany.json().message).toContain('use step=3 or more');
    expect((await app.inject({ url: `${sixHours}&step=3`, headers: auth })).json()).toHaveLength(7200);
    expect((await app.inject({ url: `${sixHours}&step=2`, headers: auth })).statusCode).toBe(400);
    // past a week the rollup tier needs more than a minute per point: the hint is in whole minutes
    const month = await app.inject({
      url: `${url}?from=${new Date(NOW - 30 * 86_400_000).toISOString()}&to=${new Date(NOW).toISOString()}&step=60`,
      headers: auth,
    });
    expect(month.statusCode).toBe(400);
    expect(month.json().message).toContain('use step=300 or more');
    expect((await app.inject({ url: '/api/hosts/alpha/rules/nope/series', headers: auth })).statusCode).toBe(
      404,
    );
  });

  it('GET ruleset-changes, drops and gaps', async () => {
    const changes = (await app.inject({ url: '/api/hosts/alpha/ruleset-changes', headers: auth })).json();
    expect(changes).toEqual([
      expect.objectContaining({
        host: 'alpha',
        notBefore: null,
        added: ['-A INPUT -p tcp --dport 21 -j ACCEPT'],
        policyChanges: [expect.objectContaining({ from: 'ACCEPT', to: 'DROP' })],
      }),
      // Found by a poll (iptables-legacy): the window it happened in.
      expect.objectContaining({
        added: ['-A INPUT -p tcp --dport 2121 -j DROP'],
        notBefore: new Date(NOW - 5_000 - 21_000).toISOString(),
        at: new Date(NOW - 5_000 - 20_000).toISOString(),
      }),
    ]);
    const drops = (await app.inject({ url: `/api/drops?client=${CLIENT_IP}`, headers: auth })).json();
    expect(drops).toEqual([expect.objectContaining({ host: 'alpha', dport: 30043, flags: 'S', group: 5 })]);
    expect((await app.inject({ url: '/api/drops?client=10.9.9.9', headers: auth })).json()).toEqual([]);
    const gaps = (await app.inject({ url: '/api/gaps?host=alpha', headers: auth })).json();
    expect(gaps).toEqual([expect.objectContaining({ source: 'conntrack-events' })]);
  });

  it('GET /api/timeline merges everything about a client in time order', async () => {
    const items = (
      await app.inject({
        url: `/api/timeline?client=${CLIENT_IP}&from=${new Date(NOW - 3_600_000).toISOString()}`,
        headers: auth,
      })
    ).json();
    const types = items.map((i: { type: string }) => i.type);
    expect(types).toEqual([
      'change',
      'change',
      'session',
      'expectation',
      'data',
      'session',
      'data',
      'drop',
      'gap',
      'rule-drops', // both counter polls (7 + 4 on the INPUT policy) fell in one minute
    ]);
    expect(items.at(-1)).toMatchObject({
      ref: POLICY_ID,
      summary: expect.stringContaining('11 packets dropped'),
    });
    expect(items[1]).toMatchObject({ summary: expect.stringContaining('found by a poll') });
    const failed = items.find((i: { type: string; problem: boolean }) => i.type === 'data' && i.problem);
    expect(failed).toMatchObject({ ref: 's2', summary: expect.stringContaining('never established') });
    const sorted = [...items].sort((a, b) => a.at.localeCompare(b.at));
    expect(items).toEqual(sorted);
    const byUser = (await app.inject({ url: '/api/timeline?user=ftp', headers: auth })).json();
    expect(byUser.filter((i: { type: string }) => i.type === 'session')).toHaveLength(2);
  });

  it('GET /api/diagnoses reads what the engine stored', async () => {
    await app.store.diagnoses.upsert({
      id: 'alpha:ftp-helper-not-assigned',
      kind: 'ftp-helper-not-assigned',
      host: 'alpha',
      severity: 'critical',
      title: 'FTP helper not assigned',
      explanation: 'x',
      evidence: [{ type: 'rule', id: POLICY_ID, label: 'INPUT policy' }],
      fix: ['iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp'],
      firstSeen: NOW - 1000,
      lastSeen: NOW,
      resolvedAt: null,
    });
    const list = (await app.inject({ url: '/api/diagnoses?host=alpha&active=true', headers: auth })).json();
    expect(list).toEqual([
      expect.objectContaining({
        kind: 'ftp-helper-not-assigned',
        resolvedAt: null,
        firstSeen: new Date(NOW - 1000).toISOString(),
      }),
    ]);
    expect((await app.inject({ url: '/api/diagnoses?active=false', headers: auth })).json()).toEqual([]);
    expect((await app.inject({ url: '/api/hosts/alpha', headers: auth })).json().activeDiagnoses).toBe(1);
  });

  it('GET /metrics is Prometheus text', async () => {
    const res = await app.inject({ url: '/metrics', headers: auth });
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('ftpscope_collector_connected{host="alpha"} 1');
    expect(res.body).toContain('ftpscope_sessions_active{host="alpha"} 2');
    expect(res.body).toMatch(
      /ftpscope_rule_packets_total\{host="alpha",rule="ipv4\/filter\/INPUT\/policy",.*\} 104/,
    );
    expect(res.body).toContain('ftpscope_conntrack_stat_total{host="alpha",stat="invalid"} 3');
    expect(res.body.match(/^# TYPE ftpscope_sessions_active gauge$/gm)).toHaveLength(1);
  });
});

describe('static UI', () => {
  it('serves the built UI, falls back to index.html for UI routes, and refuses traversal', async () => {
    const { dir, cleanup } = tempDir();
    const ui = join(dir, 'dist');
    mkdirSync(join(ui, 'assets'), { recursive: true });
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>ftpscope ui</title>');
    writeFileSync(join(ui, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'TOP-SECRET-CONTENT');
    const { app, close } = await testApp({ uiDir: ui });
    try {
      expect((await app.inject('/')).body).toContain('ftpscope ui');
      expect((await app.inject('/assets/app.js')).headers['content-type']).toContain('javascript');
      expect(
        (await app.inject({ url: '/investigate?client=1.2.3.4', headers: { accept: 'text/html' } })).body,
      ).toContain('ftpscope ui');
      for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
        const res = await app.inject(url);
        expect(res.body).not.toContain('TOP-SECRET-CONTENT');
      }
    } finally {
      await close();
      cleanup();
    }
  });
  it('serves a favicon with the UI built and without it (browsers ask /favicon.ico on every page)', async () => {
    const { dir, cleanup } = tempDir();
    const ui = join(dir, 'dist');
    mkdirSync(ui, { recursive: true });
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>ftpscope ui</title>');
    for (const uiDir of [ui, join(dir, 'not-built')]) {
      const { app, close } = await testApp({ uiDir });
      try {
        const ico = await app.inject({ url: '/favicon.ico', headers: { accept: 'image/*' } });
        expect(ico.statusCode).toBe(200);
        expect(ico.headers['content-type']).toBe('image/x-icon');
        // An ICO directory: reserved 0, type 1 (icon), at least one image.
        expect([...ico.rawPayload.subarray(0, 4)]).toEqual([0, 0, 1, 0]);
        const svg = await app.inject('/favicon.svg');
        expect(svg.statusCode).toBe(200);
        expect(svg.headers['content-type']).toContain('image/svg+xml');
        expect(svg.body).toContain('<svg');
      } finally {
        await close();
      }
    }
    cleanup();
  });
});
