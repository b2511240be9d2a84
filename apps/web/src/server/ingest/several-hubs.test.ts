import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batch, hello, session } from '../testing/events.ts';
import { COLLECTOR_TOKEN, listeningApp, TestSocket } from '../testing/harness.ts';
import { freshStoreSpec, useEngine } from '../testing/store-engines.ts';

type Hub = Awaited<ReturnType<typeof listeningApp>>;

// Two hubs on one PostgreSQL database, in this process: what each collector connection is told.
describe('two hubs sharing one PostgreSQL database', () => {
  useEngine('postgres');
  let a: Hub;
  let b: Hub;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    const db = await freshStoreSpec('postgres');
    cleanup = db.cleanup;
    a = await listeningApp({ store: db.spec, hubId: 'hub-a' });
    b = await listeningApp({ store: db.spec, hubId: 'hub-b' });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await cleanup();
  });

  async function attach(hub: Hub, host: string, streamId: string, lastSeq = 0): Promise<TestSocket> {
    const c = TestSocket.collector(hub.wsUrl('/ws/collector'), COLLECTOR_TOKEN);
    await c.opened;
    c.send(hello(host, streamId, lastSeq));
    return c;
  }

  it('refuses a second collector of a host served by the other hub (4408), whoever it connects to', async () => {
    const first = await attach(a, 'alpha', 'stream-first');
    await first.welcome();
    const intruder = await attach(b, 'alpha', 'stream-other');
    const closed = await intruder.closed;
    expect(closed.code).toBe(4408);
    expect(closed.reason).toContain('on hub hub-a');
    first.send(batch(1, [session('s1', Date.now())]));
    await first.ack(1);
    first.close();
  });

  it('a stream moving to the other hub: the new hub owns it, the stale connection is closed, each batch stored once', async () => {
    const onA = await attach(a, 'alpha', 'stream-moving');
    await onA.welcome();
    onA.send(batch(1, [session('s1', Date.now())]));
    await onA.ack(1);
    // The collector failed over (its connection to A only looks dead): B takes the stream over.
    const onB = await attach(b, 'alpha', 'stream-moving', 2);
    expect((await onB.welcome()).lastSeq).toBe(1);
    onB.send(batch(2, [session('s2', Date.now())]));
    await onB.ack(2);
    // A batch still arriving on the stale connection to A is refused, not stored.
    onA.send(batch(2, [session('s2', Date.now())]));
    const stale = await onA.closed;
    expect(stale.code).toBe(4408);
    expect(stale.reason).toContain('moved to hub hub-b');
    expect(await b.app.store.count('sessions')).toBe(2);
    expect(await a.app.store.streams.lastSeq('alpha', 'stream-moving')).toBe(2);
    onB.close();
  });
});
