import { Writable } from 'node:stream';
import { MAX_FRAME_BYTES } from '@ftpscope/shared';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { batch, hello, session } from '../src/server/testing/events.ts';
import {
  ALPHA_TOKEN,
  API_TOKEN,
  COLLECTOR_TOKEN,
  listeningApp,
  TestSocket,
} from '../src/server/testing/harness.ts';

/**
 * One hub, every hostile collector the issue lists, one after the other, while an honest collector stays
 * connected: each gets its documented close code, each is logged with the remote address, and the honest
 * collector's batches are still stored and acknowledged after every attack. (collector-ws.test.ts checks the
 * codes one by one; this checks the logging and the bystander.)
 */
const logs: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    for (const l of String(chunk).split('\n')) if (l) logs.push(JSON.parse(l));
    done();
  },
});

let hub: Awaited<ReturnType<typeof listeningApp>>;
let honest: TestSocket;
let honestSeq = 0;
const url = () => hub.wsUrl('/ws/collector');

beforeAll(async () => {
  hub = await listeningApp({ collectorRate: 50, logger: { level: 'info', stream: sink } });
  honest = TestSocket.collector(url(), COLLECTOR_TOKEN);
  await honest.opened;
  honest.send(hello('honest', 'stream-honest'));
  await honest.welcome();
});
afterAll(async () => {
  honest?.close();
  await hub?.close();
});

/** A connected socket; `undefined` means no Authorization header at all. */
async function opened(token: string | undefined): Promise<TestSocket> {
  const c = TestSocket.collector(url(), token);
  await c.opened.catch(() => {});
  return c;
}

async function welcomed(host: string, streamId: string, token = COLLECTOR_TOKEN): Promise<TestSocket> {
  const c = await opened(token);
  c.send(hello(host, streamId));
  await c.welcome();
  return c;
}

type Attack = [name: string, run: () => Promise<TestSocket>, code: number];

const ATTACKS: Attack[] = [
  ['no token', () => opened(undefined), 4401],
  ['wrong token', () => opened('not-the-token-1234'), 4401],
  ['the API token', () => opened(API_TOKEN), 4401],
  [
    'a token for another host',
    async () => {
      const c = await opened(ALPHA_TOKEN);
      c.send(hello('beta', 'stream-beta'));
      return c;
    },
    4403,
  ],
  [
    'invalid JSON',
    async () => {
      const c = await opened(COLLECTOR_TOKEN);
      c.send('{"type":"hello",');
      return c;
    },
    4400,
  ],
  [
    'a schema violation',
    async () => {
      const c = await welcomed('alpha', 'stream-alpha');
      c.send({
        type: 'batch',
        seq: 1,
        sentAt: 1,
        events: [{ kind: 'session', session: { id: "'; DROP TABLE sessions;--" } }],
      });
      return c;
    },
    4422,
  ],
  [
    'a frame over the limit',
    async () => {
      const c = await welcomed('alpha', 'stream-alpha');
      c.send(batch(1, [session('big', Date.now(), { user: 'x'.repeat(MAX_FRAME_BYTES) })]));
      return c;
    },
    1009,
  ],
  [
    'a flood of messages',
    async () => {
      const c = await welcomed('alpha', 'stream-alpha');
      for (let i = 1; i <= 6000; i++) c.send(batch(i, []));
      return c;
    },
    4429,
  ],
  [
    'sequence numbers going backwards',
    async () => {
      const c = await welcomed('alpha', 'stream-alpha');
      c.send(batch(1000, []));
      await c.ack(1000);
      c.send(batch(999, []));
      return c;
    },
    4409,
  ],
  [
    "a hello claiming another collector's host",
    async () => {
      const c = await opened(COLLECTOR_TOKEN);
      c.send(hello('honest', 'stream-impostor'));
      return c;
    },
    4408,
  ],
];

it('promise: every hostile collector gets its documented close code, is logged with its remote address, and the others go on', async () => {
  for (const [name, run, code] of ATTACKS) {
    const before = logs.length;
    const c = await run();
    expect((await c.closed).code, name).toBe(code);
    // The hub logged the rejection (not just the connection) with where it came from.
    const rejection = (l: Record<string, unknown>) =>
      String(l.remote ?? '').startsWith('127.0.0.1:') &&
      (l.closeCode === code ||
        String(l.msg).includes(`(${code})`) ||
        (code === 1009 && String(l.err).includes('Max payload size exceeded')));
    await expect.poll(() => logs.slice(before).some(rejection), { timeout: 2000 }).toBe(true);
    // The honest collector is untouched: its next batch is stored and acknowledged.
    honestSeq++;
    honest.send(batch(honestSeq, [session(`h${honestSeq}`, Date.now())]));
    await honest.ack(honestSeq);
  }
  expect(await hub.app.store.count('sessions')).toBe(ATTACKS.length); // the attacks stored nothing
  expect((await hub.app.store.sessions.get(`h${ATTACKS.length}`))?.host).toBe('honest');
  expect(honest.ws.readyState).toBe(honest.ws.OPEN);
});
