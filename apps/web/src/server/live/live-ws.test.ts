import type { LiveEvents } from '@ftpscope/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batch, hello, rules, session } from '../testing/events.ts';
import { API_TOKEN, COLLECTOR_TOKEN, listeningApp, TestSocket } from '../testing/harness.ts';
import { LIVE_CHUNK_EVENTS } from './live-client.ts';

type Hub = Awaited<ReturnType<typeof listeningApp>>;
const isEvents = (m: unknown): m is LiveEvents => (m as { type?: string }).type === 'events';

describe('WS /ws/live', () => {
  let hub: Hub;
  beforeEach(async () => {
    hub = await listeningApp({ liveLimits: { highWaterBytes: 64 * 1024, retryMs: 20 } });
  });
  afterEach(async () => {
    await hub.close();
  });

  async function collector(host: string): Promise<TestSocket> {
    const c = TestSocket.collector(hub.wsUrl('/ws/collector'), COLLECTOR_TOKEN);
    await c.opened;
    c.send(hello(host, `stream-${host}-1`));
    await c.welcome();
    return c;
  }

  async function browser(
    hosts: '*' | string[],
    headers: Record<string, string> = { authorization: `Bearer ${API_TOKEN}` },
  ) {
    const b = new TestSocket(hub.wsUrl('/ws/live'), headers);
    await b.opened;
    b.send({ type: 'subscribe', hosts });
    return b;
  }

  it('closes 4401 without the API token and 4422 on a bad subscribe', async () => {
    const anon = new TestSocket(hub.wsUrl('/ws/live'));
    expect((await anon.closed).code).toBe(4401);
    const wrong = new TestSocket(hub.wsUrl('/ws/live'), { cookie: 'ftpscope_session=nope' });
    expect((await wrong.closed).code).toBe(4401);
    const b = new TestSocket(hub.wsUrl('/ws/live'), { authorization: `Bearer ${API_TOKEN}` });
    await b.opened;
    b.send({ type: 'subscribe', hosts: 'alpha' });
    expect((await b.closed).code).toBe(4422);
  });

  it('accepts the login cookie', async () => {
    const res = await hub.app.inject({ method: 'POST', url: '/api/login', payload: { token: API_TOKEN } });
    const cookie = String(res.headers['set-cookie']).split(';')[0] ?? '';
    const c = await collector('alpha');
    const b = await browser('*', { cookie });
    const t = Date.now();
    c.send(batch(1, [session('s1', t)]));
    await b.waitFor((m) => isEvents(m) && m.events.some((e) => e.kind === 'session'));
    b.close();
    c.close();
  });

  it('delivers committed events within 200 ms, only for followed hosts, plus host connect/disconnect', async () => {
    const alpha = await collector('alpha');
    const beta = await collector('beta');
    const onlyBeta = await browser(['beta']);
    const all = await browser('*');
    // The subscribe answer: each known host's connection state.
    await all.waitFor((m) => isEvents(m) && m.host === 'alpha' && m.events[0]?.kind === 'host');

    const latencies: number[] = [];
    for (let seq = 1; seq <= 20; seq++) {
      const sent = performance.now();
      alpha.send(batch(seq, [session(`s${seq}`, Date.now())]));
      await all.waitFor(
        (m) => isEvents(m) && m.events.some((e) => e.kind === 'session' && e.session.id === `s${seq}`),
      );
      latencies.push(performance.now() - sent);
    }
    latencies.sort((a, b) => a - b);
    expect(latencies.at(-1)).toBeLessThan(200);
    // The ack comes before (or with) the live message: live only carries committed data.
    await alpha.ack(20);

    beta.send(batch(1, [session('b1', Date.now())]));
    await onlyBeta.waitFor(
      (m) => isEvents(m) && m.host === 'beta' && m.events.some((e) => e.kind === 'session'),
    );
    expect(
      onlyBeta.messages.filter(
        (m) => isEvents(m) && m.host === 'alpha' && m.events.some((e) => e.kind === 'session'),
      ),
    ).toEqual([]);

    beta.close();
    await onlyBeta.waitFor((m) => isEvents(m) && m.events.some((e) => e.kind === 'host' && !e.connected));
    console.info(`live latency ms: p50 ${latencies[10]?.toFixed(1)}, max ${latencies.at(-1)?.toFixed(1)}`);
    for (const s of [alpha, onlyBeta, all]) s.close();
  });

  it('sends a big batch in messages of at most LIVE_CHUNK_EVENTS events, in order, none lost', async () => {
    const alpha = await collector('alpha');
    const all = await browser('*');
    await all.waitFor((m) => isEvents(m) && m.host === 'alpha');
    const n = LIVE_CHUNK_EVENTS * 4 + 7;
    alpha.send(
      batch(
        1,
        Array.from({ length: n }, (_, i) => session(`c${i}`, 1000 + i)),
      ),
    );
    await all.waitFor(
      (m) => isEvents(m) && m.events.some((e) => e.kind === 'session' && e.session.id === `c${n - 1}`),
    );
    const chunks = all.messages.filter(
      (m): m is LiveEvents => isEvents(m) && m.events.some((e) => e.kind === 'session'),
    );
    expect(chunks.map((m) => m.events.length)).toEqual([...Array(4).fill(LIVE_CHUNK_EVENTS), 7]);
    const ids = chunks.flatMap((m) => m.events.map((e) => (e.kind === 'session' ? e.session.id : '')));
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => `c${i}`));
    alpha.close();
    all.close();
  });

  it('coalesces for a slow browser instead of buffering without bound', async () => {
    const alpha = await collector('alpha');
    const slow = await browser('*');
    await slow.waitFor((m) => isEvents(m));
    // Stop reading: the kernel buffers fill, then the hub's socket buffer passes its high-water mark.
    const raw = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket;
    raw.pause();
    try {
      // ~32 MB of rulesets: more than loopback's socket buffers hold, so the hub sees bufferedAmount grow.
      const base = rules()[1];
      if (!base) throw new Error('no rule');
      const big = Array.from({ length: 200 }, (_, i) => ({
        ...base,
        id: `r${i}`,
        position: i + 1,
        text: `-A INPUT -m comment --comment ${'x'.repeat(4000)}`,
      }));
      let seq = 0;
      for (let i = 0; i < 40; i++)
        alpha.send(batch(++seq, [{ kind: 'ruleset', at: Date.now(), rules: big, diff: null }]));
      await alpha.ack(seq);
      // 300 updates of the same session while the browser is stuck.
      for (let i = 0; i < 300; i++) alpha.send(batch(++seq, [session('s1', 1000, { state: `STATE${i}` })]));
      await alpha.ack(seq);
      // The hub coalesces instead of writing to the stuck socket: wait for it, with a deadline.
      const deadline = Date.now() + 10_000;
      const deferred = () => [...hub.app.live.clients][0]?.deferred ?? 0;
      while (deferred() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(deferred()).toBeGreaterThan(0);
    } finally {
      raw.resume();
    }
    await slow.waitFor(
      (m) => isEvents(m) && m.events.some((e) => e.kind === 'session' && e.session.state === 'STATE299'),
    );
    const sessionUpdates = slow.messages
      .flatMap((m) => (isEvents(m) ? m.events : []))
      .filter((e) => e.kind === 'session');
    // Far fewer than 300 messages reached the browser, and the last one is the latest state.
    expect(sessionUpdates.length).toBeLessThan(30);
    expect(sessionUpdates.at(-1)).toMatchObject({ session: { state: 'STATE299' } });
    alpha.close();
    slow.close();
  });
});
