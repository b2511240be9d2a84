import { Writable } from 'node:stream';
import type { LiveEvents, TraceStart, TraceView } from '@ftpscope/shared';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch, CLIENT_IP, hello, session } from '../../testing/events.ts';
import { API_TOKEN, COLLECTOR_TOKEN, listeningApp, TestSocket } from '../../testing/harness.ts';

const auth = { authorization: `Bearer ${API_TOKEN}`, 'user-agent': 'trace-test/1' };
let app: FastifyInstance;
let close: () => Promise<void>;
let wsUrl: (p: string) => string;
let ftp1: TestSocket;
const log: string[] = [];

/** A collector connection (the protocol as a real collector speaks it) that reported one session of CLIENT_IP. */
async function collector(host: string, capabilities: string[]): Promise<TestSocket> {
  const s = TestSocket.collector(wsUrl('/ws/collector'), COLLECTOR_TOKEN);
  await s.opened;
  s.send({ ...hello(host, `stream-${host}-01`), capabilities });
  await s.welcome();
  s.send(batch(1, [session(`${host}-s1`, Date.now() - 5000)]));
  await s.ack(1);
  return s;
}

const start = (host: string, body: unknown) =>
  app.inject({ method: 'POST', url: `/api/hosts/${host}/traces`, headers: auth, payload: body as object });

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      log.push(String(chunk));
      done();
    },
  });
  const t = await listeningApp({ logger: { level: 'info', stream: sink } });
  ({ app, close, wsUrl } = t);
  ftp1 = await collector('ftp1', ['conntrack-events', 'trace']);
  (await collector('old', ['conntrack-events'])).close();
  await collector('old2', ['conntrack-events']);
  (await collector('gone', ['trace'])).close();
});
afterAll(async () => {
  await close();
});

describe('trace requests: hostile input is refused with its documented code', () => {
  it.each([
    ['an unknown host', 'nosuchhost', { client: CLIENT_IP }, 404, 'FTPSCOPE_ERR_TRACE_UNKNOWN_HOST'],
    [
      'a client never seen on the host',
      'ftp1',
      { client: '198.18.0.200' },
      404,
      'FTPSCOPE_ERR_TRACE_UNKNOWN_CLIENT',
    ],
    [
      'a duration over the limit',
      'ftp1',
      { client: CLIENT_IP, durationSeconds: 301 },
      400,
      'FTPSCOPE_ERR_TRACE_TOO_LONG',
    ],
    ['a day', 'ftp1', { client: CLIENT_IP, durationSeconds: 86400 }, 400, 'FTPSCOPE_ERR_TRACE_TOO_LONG'],
    ['a zero duration', 'ftp1', { client: CLIENT_IP, durationSeconds: 0 }, 400, 'FTPSCOPE_ERR_BAD_PARAM'],
    [
      'a collector without the trace capability',
      'old2',
      { client: CLIENT_IP },
      501,
      'FTPSCOPE_ERR_TRACE_UNSUPPORTED',
    ],
    ['a disconnected host', 'gone', { client: CLIENT_IP }, 409, 'FTPSCOPE_ERR_TRACE_HOST_OFFLINE'],
  ])('%s', async (_what, host, body, status, code) => {
    const res = await start(host, body);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().code).toBe(code);
  });

  it.each([
    `${CLIENT_IP}/24`,
    `${CLIENT_IP} or host 10.0.0.1`,
    `host ${CLIENT_IP}`,
    `${CLIENT_IP}:21`,
    '198.018.000.100',
    '::ffff:198.18.0.100',
    'fe80::1%eth0',
    'client.example.org',
    `${CLIENT_IP}\n`,
    '(tcp)',
    '',
  ])('a client address in a bad form: %j', async (client) => {
    const res = await start('ftp1', { client });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toBe('FTPSCOPE_ERR_TRACE_BAD_CLIENT');
  });

  it('starts one trace, refuses a second on the same host, relays steps, stores it masked, serves the pcap', async () => {
    const live = new TestSocket(wsUrl('/ws/live'), { authorization: `Bearer ${API_TOKEN}` });
    await live.opened;
    live.send({ type: 'subscribe', hosts: ['ftp1'] });
    const res = await start('ftp1', { client: CLIENT_IP, durationSeconds: 30 });
    expect(res.statusCode, res.body).toBe(201);
    const view = res.json() as TraceView;
    expect(view).toMatchObject({ host: 'ftp1', client: CLIENT_IP, state: 'running', durationMs: 30_000 });
    expect(view.requestedBy).toEqual({ auth: 'bearer', ip: '127.0.0.1', userAgent: 'trace-test/1' });
    const ask = await ftp1.waitFor<TraceStart>((m) => (m as TraceStart).type === 'trace-start');
    expect(ask).toMatchObject({ traceId: view.id, client: CLIENT_IP, durationMs: 30_000 });

    const second = await start('ftp1', { client: CLIENT_IP });
    expect([second.statusCode, second.json().code]).toEqual([409, 'FTPSCOPE_ERR_TRACE_BUSY']);

    // An odd collector that forgot to mask: the hub masks again before anything is kept or shown.
    ftp1.send({
      type: 'trace-steps',
      traceId: view.id,
      steps: [
        { n: 0, at: Date.now(), kind: 'command', verb: 'PASS', text: 'PASS Sup3rS3cret' },
        { n: 1, at: Date.now(), kind: 'reply', code: 230, text: '230 Login successful.' },
      ],
    });
    await live.waitFor(
      (m) => (m as LiveEvents).type === 'events' && JSON.stringify(m).includes('230 Login successful.'),
    );
    const pcap = Buffer.from('pretend pcap bytes');
    ftp1.send({ type: 'trace-pcap', traceId: view.id, offset: 0, data: pcap.toString('base64') });
    const stop = await app.inject({ method: 'POST', url: `/api/traces/${view.id}/stop`, headers: auth });
    expect(stop.statusCode).toBe(200);
    await ftp1.waitFor((m) => (m as { type: string }).type === 'trace-stop');
    ftp1.send({
      type: 'trace-end',
      traceId: view.id,
      reason: 'stopped',
      error: null,
      packets: 7,
      pcapBytes: pcap.length,
      tls: false,
    });
    await live.waitFor((m) => JSON.stringify(m).includes('"state":"done"'));

    const done = (await app.inject({ url: `/api/traces/${view.id}`, headers: auth })).json() as TraceView;
    expect(done).toMatchObject({ state: 'done', endReason: 'stopped', packets: 7, pcapBytes: pcap.length });
    expect(done.steps.map((s) => (s.kind === 'command' || s.kind === 'reply' ? s.text : ''))).toEqual([
      'PASS ****',
      '230 Login successful.',
    ]);
    const file = await app.inject({ url: `/api/traces/${view.id}/pcap`, headers: auth });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/vnd.tcpdump.pcap');
    expect(file.headers['content-disposition']).toMatch(
      /^attachment; filename="ftpscope-ftp1-198\.18\.0\.100-.+\.pcap"$/,
    );
    expect(file.rawPayload.equals(pcap)).toBe(true);
    const list = (await app.inject({ url: '/api/traces?host=ftp1', headers: auth })).json() as TraceView[];
    expect(list.map((t) => t.id)).toEqual([view.id]);
    expect(JSON.stringify(live.messages)).not.toContain('Sup3rS3cret');
    expect(log.join('')).not.toContain('Sup3rS3cret');
    // Audited: who asked, for whom, how it ended.
    const audit = log.filter((l) => l.includes('"audit":"trace"')).map((l) => JSON.parse(l));
    expect(audit.map((a) => a.msg)).toEqual(['trace started', 'trace stop asked', 'trace ended']);
    expect(audit[0]).toMatchObject({ host: 'ftp1', client: CLIENT_IP, requestedBy: { auth: 'bearer' } });
    live.close();
  });

  it('a trace ends as disconnected when its collector goes away; unknown and malformed trace ids', async () => {
    const s = await collector('ftp9', ['trace']);
    const res = await start('ftp9', { client: CLIENT_IP });
    expect(res.statusCode, res.body).toBe(201);
    const id = (res.json() as TraceView).id;
    s.close();
    await s.closed;
    const deadline = Date.now() + 5000;
    let t = (await app.inject({ url: `/api/traces/${id}`, headers: auth })).json() as TraceView;
    while (t.state !== 'done' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      t = (await app.inject({ url: `/api/traces/${id}`, headers: auth })).json() as TraceView;
    }
    expect(t).toMatchObject({ state: 'done', endReason: 'disconnected' });
    expect((await app.inject({ url: `/api/traces/${id}/pcap`, headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/traces/tr-nope', headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/traces/..%2fetc', headers: auth })).statusCode).toBe(400);
  });
});
