import { MAX_FRAME_BYTES } from '@ftpscope/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { until } from '../../../test/reliability-helpers.ts';
import { batch, counters, data, expectation, hello, rules, session } from '../testing/events.ts';
import { ALPHA_TOKEN, API_TOKEN, COLLECTOR_TOKEN, listeningApp, TestSocket } from '../testing/harness.ts';
import { ENGINES, useEngine } from '../testing/store-engines.ts';

type Hub = Awaited<ReturnType<typeof listeningApp>>;

describe.each(ENGINES)('WS /ws/collector (%s)', (engine) => {
  useEngine(engine);
  let hub: Hub;
  const url = () => hub.wsUrl('/ws/collector');
  beforeEach(async () => {
    hub = await listeningApp({ collectorRate: 50, engine });
  });
  afterEach(async () => {
    await hub.close();
  });

  async function connected(
    host = 'alpha',
    token = COLLECTOR_TOKEN,
    streamId = 'stream-0001',
  ): Promise<TestSocket> {
    const c = TestSocket.collector(url(), token);
    await c.opened;
    c.send(hello(host, streamId));
    await c.welcome();
    return c;
  }

  it('closes 4401 without a token, with a wrong token, and with the API token', async () => {
    for (const token of [undefined, 'wrong-token-123', API_TOKEN]) {
      const c = TestSocket.collector(url(), token);
      expect((await c.closed).code).toBe(4401);
    }
  });

  it('closes 4403 when the token may not report the host, and accepts the allowed host', async () => {
    const c = TestSocket.collector(url(), ALPHA_TOKEN);
    await c.opened;
    c.send(hello('beta'));
    expect((await c.closed).code).toBe(4403);
    const ok = await connected('alpha', ALPHA_TOKEN);
    expect(ok.messages).toContainEqual({ type: 'welcome', protocolVersion: 1, lastSeq: 0 });
    ok.close();
  });

  it('closes malformed traffic with its documented code', async () => {
    const cases: [string, (c: TestSocket) => void, number][] = [
      ['invalid JSON', (c) => c.send('{"type": "hello",'), 4400],
      ['binary frame', (c) => c.ws.send(Buffer.from([1, 2, 3]), { binary: true }), 4400],
      ['unknown message type', (c) => c.send({ type: 'subscribe', hosts: '*' }), 4422],
      ['schema violation', (c) => c.send({ ...hello('alpha'), host: '../etc/passwd' }), 4422],
      ['batch before hello', (c) => c.send(batch(1, [])), 4412],
      ['unsupported protocol', (c) => c.send({ ...hello('alpha'), protocolVersion: 99 }), 4426],
    ];
    for (const [name, act, code] of cases) {
      const c = TestSocket.collector(url(), COLLECTOR_TOKEN);
      await c.opened;
      act(c);
      expect((await c.closed).code, name).toBe(code);
    }
  });

  it('closes 4422 on an event that violates the schema, storing nothing of the batch', async () => {
    const c = await connected();
    const bad = session('s1', Date.now());
    (bad as { session: { startedAt: unknown } }).session.startedAt = 'yesterday';
    c.send(batch(1, [session('s0', Date.now()), bad]));
    expect((await c.closed).code).toBe(4422);
    expect(await hub.app.store.count('sessions')).toBe(0);
  });

  it('closes 4409 when sequences do not increase on a connection', async () => {
    const c = await connected();
    c.send(batch(5, []));
    await c.ack(5);
    c.send(batch(5, []));
    expect((await c.closed).code).toBe(4409);
  });

  it('closes 1009 on a frame over MAX_FRAME_BYTES', async () => {
    const c = await connected();
    c.send(JSON.stringify(batch(1, [session('s1', Date.now(), { user: 'x'.repeat(MAX_FRAME_BYTES) })])));
    expect((await c.closed).code).toBe(1009);
  });

  it('closes 4429 on a flood while other collectors go on', async () => {
    const other = await connected('beta', COLLECTOR_TOKEN, 'stream-beta-1');
    const c = await connected('alpha');
    // rate 50/s, burst 5000: 6000 messages as fast as possible is a flood.
    for (let i = 1; i <= 6000; i++) c.send(batch(i, []));
    expect((await c.closed).code).toBe(4429);
    other.send(batch(1, [session('b1', Date.now())]));
    await other.ack(1);
    expect((await hub.app.store.sessions.get('b1'))?.host).toBe('beta');
    other.close();
  });

  it('closes 4408 for a second collector claiming a connected host with another stream; the same stream replaces', async () => {
    const first = await connected('alpha', COLLECTOR_TOKEN, 'stream-first');
    const intruder = TestSocket.collector(url(), COLLECTOR_TOKEN);
    await intruder.opened;
    intruder.send(hello('alpha', 'stream-other'));
    expect((await intruder.closed).code).toBe(4408);
    // The first one is unaffected.
    first.send(batch(1, []));
    await first.ack(1);
    // The same collector reconnecting (same stream) wins over its stale socket.
    const again = await connected('alpha', COLLECTOR_TOKEN, 'stream-first');
    expect((await first.closed).code).toBe(4408);
    expect(await again.welcome()).toMatchObject({ lastSeq: 1 });
    again.close();
  });

  it('stores every batch exactly once across a forced reconnect that resends the same sequences', async () => {
    const t0 = Date.now() - 5000;
    const batches = [
      batch(1, [{ kind: 'ruleset', at: t0, rules: rules(), diff: null }, session('s1', t0)]),
      batch(2, [expectation('x1', 's1', t0 + 10), counters(t0 + 1000, 10, 3)]),
      batch(3, [data('d1', 's1', t0 + 20), expectation('x1', 's1', t0 + 10, { fulfilledAt: t0 + 20 })]),
      batch(4, [
        counters(t0 + 2000, 12, 2),
        {
          kind: 'drop',
          drop: {
            at: t0 + 30,
            group: 5,
            ruleId: null,
            prefix: 'ftp-drop',
            proto: 'TCP',
            src: '198.18.0.100',
            dst: '198.18.1.1',
            sport: 45002,
            dport: 30043,
            flags: 'S',
          },
        },
      ]),
    ];
    const c1 = await connected('alpha', COLLECTOR_TOKEN, 'stream-exactly-once');
    for (const b of batches.slice(0, 3)) c1.send(b);
    await c1.ack(3);
    c1.ws.terminate(); // forced: no close handshake, like a crash or a cable pulled
    await c1.closed;

    const c2 = TestSocket.collector(url(), COLLECTOR_TOKEN);
    await c2.opened;
    c2.send(hello('alpha', 'stream-exactly-once', 4));
    expect((await c2.welcome()).lastSeq).toBe(3);
    // A collector that lost its acks resends everything: the hub acks and ignores what it has.
    for (const b of batches) c2.send(b);
    await c2.ack(4);
    expect(c2.messages.filter((m) => (m as { type: string }).type === 'ack')).toHaveLength(4);

    const store = hub.app.store;
    expect(await store.count('sessions')).toBe(1);
    expect(await store.count('expectations')).toBe(1);
    expect(await store.count('data_connections')).toBe(1);
    expect(await store.count('rule_samples')).toBe(2);
    expect(await store.count('drops')).toBe(1);
    const s = await store.sessions.get('s1');
    expect(s?.expectations).toEqual([expect.objectContaining({ id: 'x1', fulfilledAt: t0 + 20 })]);
    // Rollup sums the two deltas exactly once.
    const policy = (await store.rules.list('alpha', Date.now())).find((r) => r.isPolicy);
    expect(policy).toMatchObject({ packets: 12, dropsLastMinute: 5 });
    c2.close();
  });

  it('closes collectors with 1001 (going away) when the hub shuts down', async () => {
    const c = await connected('alpha');
    const closing = hub.app.close();
    expect((await c.closed).code).toBe(1001);
    await closing;
  });

  it('marks the host connected, then disconnected when the collector goes away', async () => {
    const c = await connected('alpha');
    expect((await hub.app.store.hosts.get('alpha', Date.now()))?.connected).toBe(true);
    c.close();
    await c.closed;
    await until(
      'alpha marked disconnected',
      async () => (await hub.app.store.hosts.get('alpha', Date.now()))?.connected === false,
    );
  });
});
