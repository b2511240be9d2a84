import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectorTokenCreated, CollectorTokenView } from '@ftpscope/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batch, hello, session } from '../../testing/events.ts';
import { API_TOKEN, listeningApp, TestSocket } from '../../testing/harness.ts';

type Hub = Awaited<ReturnType<typeof listeningApp>>;
const bearer = { authorization: `Bearer ${API_TOKEN}` };

describe('collector tokens issued by the hub (Add FTP host)', () => {
  let hub: Hub;
  beforeEach(async () => {
    hub = await listeningApp();
  });
  afterEach(async () => {
    await hub.close();
  });

  async function create(host: string, over: Record<string, string> = {}): Promise<CollectorTokenCreated> {
    const res = await hub.app.inject({
      method: 'POST',
      url: '/api/collector-tokens',
      headers: bearer,
      payload: { host, ...over },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }
  const list = async (): Promise<CollectorTokenView[]> =>
    (await hub.app.inject({ url: '/api/collector-tokens', headers: bearer })).json();

  async function collector(token: string, host: string): Promise<TestSocket> {
    const c = TestSocket.collector(hub.wsUrl('/ws/collector'), token);
    await c.opened;
    c.send(hello(host));
    return c;
  }

  it('issues a token once, keeps only its hash, and shows the command with this hub in it', async () => {
    const created = await create('ftp1', { hubUrl: 'https://hub.example:8443' });
    expect(created).toMatchObject({ host: 'ftp1', lastUsedAt: null, revokedAt: null, connected: false });
    expect(created.token).toMatch(/^fsc_[\w-]{43}$/);
    expect(created.install.hubUrl).toBe('https://hub.example:8443');
    // This hub serves plain HTTP (no pin): the command has no --fingerprint.
    expect(created.command).toBe(
      `curl -fsSL https://hub.example:8443/install.sh | sudo sh -s -- --hub https://hub.example:8443 --name ftp1 --token ${created.token}`,
    );
    const listed = await list();
    expect(listed).toEqual([expect.objectContaining({ id: created.id, host: 'ftp1' })]);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    await hub.app.close();
    for (const f of readdirSync(hub.dir).filter((n) => n.startsWith('hub.db'))) {
      expect(readFileSync(join(hub.dir, f)).includes(created.token), f).toBe(false);
    }
  });

  it('lets the collector report its one host, marks the token used and the host connected', async () => {
    const { token, id } = await create('ftp1');
    const c = await collector(token, 'ftp1');
    await c.welcome();
    c.send(batch(1, [session('s1', Date.now())]));
    await c.ack(1);
    const [t] = await list();
    expect(t).toMatchObject({ id, connected: true, revokedAt: null });
    expect(Date.parse(t?.lastUsedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    const hosts = (await hub.app.inject({ url: '/api/hosts', headers: bearer })).json();
    expect(hosts).toEqual([expect.objectContaining({ name: 'ftp1', connected: true, activeSessions: 1 })]);
    const other = await collector(token, 'ftp2');
    expect((await other.closed).code).toBe(4403);
    c.close();
  });

  it('revoking closes the connected collector with 4401 within a second, and it cannot come back', async () => {
    const { token, id } = await create('ftp1');
    const keep = await create('ftp2');
    const c = await collector(token, 'ftp1');
    await c.welcome();
    const stays = await collector(keep.token, 'ftp2');
    await stays.welcome();
    const started = Date.now();
    const res = await hub.app.inject({
      method: 'DELETE',
      url: `/api/collector-tokens/${id}`,
      headers: bearer,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, connected: false, revokedAt: expect.any(String) });
    const closed = await c.closed;
    expect(closed.code).toBe(4401);
    expect(closed.reason).toContain('revoked');
    expect(Date.now() - started).toBeLessThan(1000);
    const again = TestSocket.collector(hub.wsUrl('/ws/collector'), token);
    expect((await again.closed).code).toBe(4401);
    // The other host's collector is untouched.
    expect(stays.ws.readyState).toBe(stays.ws.OPEN);
    stays.close();
    const res404 = await hub.app.inject({
      method: 'DELETE',
      url: '/api/collector-tokens/ct_000000000000',
      headers: bearer,
    });
    expect(res404.statusCode).toBe(404);
  });

  it('refuses a cross-site request made with the login cookie, accepts the hub page', async () => {
    const login = await hub.app.inject({ method: 'POST', url: '/api/login', payload: { token: API_TOKEN } });
    const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
    const post = (headers: Record<string, string>) =>
      hub.app.inject({ method: 'POST', url: '/api/collector-tokens', headers, payload: { host: 'ftp1' } });
    const foreign = await post({ cookie, origin: 'https://evil.example' });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json()).toMatchObject({ code: 'FTPSCOPE_ERR_BAD_ORIGIN' });
    expect(foreign.json().message).toContain('https://evil.example');
    expect((await post({ cookie })).statusCode).toBe(403);
    expect((await post({ cookie, origin: 'http://localhost' })).statusCode).toBe(201);
    // A foreign page reading data with the cookie is refused too; scripts with the Bearer token are not checked.
    expect(
      (await hub.app.inject({ url: '/api/hosts', headers: { cookie, origin: 'https://evil.example' } }))
        .statusCode,
    ).toBe(403);
    expect(
      (await hub.app.inject({ url: '/api/hosts', headers: { ...bearer, origin: 'https://evil.example' } }))
        .statusCode,
    ).toBe(200);
    expect(await list()).toHaveLength(1);
  });

  it('refuses a browser on another site opening /ws/live with the cookie (4403)', async () => {
    const login = await hub.app.inject({ method: 'POST', url: '/api/login', payload: { token: API_TOKEN } });
    const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
    const foreign = new TestSocket(hub.wsUrl('/ws/live'), { cookie }, { origin: 'https://evil.example' });
    expect((await foreign.closed).code).toBe(4403);
    const c = await collector((await create('ftp1')).token, 'ftp1');
    await c.welcome();
    const own = new TestSocket(hub.wsUrl('/ws/live'), { cookie }, { origin: `http://127.0.0.1:${hub.port}` });
    await own.opened;
    own.send({ type: 'subscribe', hosts: '*' });
    expect(await own.waitFor((m) => (m as { host?: string }).host === 'ftp1')).toBeTruthy();
    own.close();
    c.close();
  });
});
