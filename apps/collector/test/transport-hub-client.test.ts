import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Batch, Hello, PROTOCOL_VERSION } from '@ftpscope/shared';
import { Value } from '@sinclair/typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { type HostStream, startHostStream } from '../src/transport/host-stream.ts';
import { captureLogger, countersEvent, sessionEvent, TestHostMonitor } from './transport-helpers.ts';

const TOKEN = 'test-token-4f9a2c';

/** What a hub database would hold: per stream, the stored batches and the highest sequence. */
interface Stored {
  lastSeq: number;
  batches: Batch[];
  /** Batches received again after they were stored (the collector should never need to). */
  duplicates: number;
}

/**
 * A minimal hub in the test speaking the real protocol over a real WebSocket: token check (4401), hello →
 * welcome with the stored lastSeq, batches stored once and acked. `db` outlives restarts of the server.
 */
class ProtocolHub {
  /** Two hubs given the same map share one "database" (hubs on one PostgreSQL). */
  constructor(readonly db = new Map<string, Stored>()) {}
  wss: WebSocketServer | null = null;
  port = 0;
  connections = 0;
  hellos: Hello[] = [];
  /** Set to send this raw text before the welcome (unknown-reply handling). */
  preamble: string | null = null;

  async start(port = 0): Promise<void> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/ws/collector' });
    await new Promise<void>((r) => wss.once('listening', r));
    this.port = (wss.address() as AddressInfo).port;
    wss.on('connection', (ws, req) => this.accept(ws, req));
    this.wss = wss;
  }

  /** Kills every connection without a close frame (like a crashed hub) and stops listening. */
  async crash(): Promise<void> {
    const wss = this.wss;
    if (!wss) return;
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
    this.wss = null;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws/collector`;
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    this.connections += 1;
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      ws.close(4401, 'missing or wrong token');
      return;
    }
    let stream: Stored | null = null;
    let connSeq = 0;
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString());
      if (stream === null) {
        if (!Value.Check(Hello, msg)) return ws.close(4412, 'first message must be hello');
        this.hellos.push(msg);
        stream = this.db.get(msg.streamId) ?? { lastSeq: 0, batches: [], duplicates: 0 };
        this.db.set(msg.streamId, stream);
        if (this.preamble) ws.send(this.preamble);
        ws.send(
          JSON.stringify({ type: 'welcome', protocolVersion: PROTOCOL_VERSION, lastSeq: stream.lastSeq }),
        );
        return;
      }
      if (!Value.Check(Batch, msg)) return ws.close(4422, 'schema');
      if (msg.seq <= connSeq) return ws.close(4409, 'sequence');
      connSeq = msg.seq;
      if (msg.seq <= stream.lastSeq) stream.duplicates += 1;
      else {
        stream.batches.push(msg);
        stream.lastSeq = msg.seq;
      }
      ws.send(JSON.stringify({ type: 'ack', seq: stream.lastSeq }));
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for condition');
    await sleep(20);
  }
}

/** Counter events carry a unique `at` per generated event: the ids of every one the hub stored. */
function storedCounterIds(s: Stored): number[] {
  return s.batches.flatMap((b) => b.events.flatMap((e) => (e.kind === 'counters' ? [e.at] : [])));
}

let dir: string;
let hub: ProtocolHub;
const streams: HostStream[] = [];
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ftpscope-transport-'));
  hub = new ProtocolHub();
  await hub.start();
});
afterEach(async () => {
  for (const s of streams.splice(0)) await s.stop(0);
  await hub.crash();
  rmSync(dir, { recursive: true, force: true });
});

async function collector(monitor: TestHostMonitor, token = TOKEN, hubUrl = hub.url) {
  const { log, lines } = captureLogger();
  const stream = await startHostStream({
    host: 'ftp1',
    monitor,
    hubUrl,
    token,
    collectorVersion: '0.1.0',
    spoolDir: dir,
    log,
    backoff: { baseMs: 20, capMs: 200, stableMs: 5_000 },
  });
  streams.push(stream);
  return { stream, lines };
}

describe('hub client against a WebSocket server speaking the protocol', () => {
  it('hello → welcome → snapshot → live batches, acks empty the spool', async () => {
    const monitor = new TestHostMonitor();
    const { stream } = await collector(monitor);
    monitor.push(sessionEvent('s1')); // before the welcome: batched ahead of the snapshot
    await until(() => stream.client.state === 'live');
    for (let i = 1; i <= 20; i++) monitor.push(countersEvent(i));
    await until(() => storedCounterIds([...hub.db.values()][0] as Stored).length === 20);

    const hello = hub.hellos[0] as Hello;
    expect(hello).toMatchObject({
      type: 'hello',
      host: 'ftp1',
      kernel: '6.1.0-test',
      streamId: stream.spool.streamId,
    });
    // The early event is framed 25 ms after it came: before the socket opened (lastSeq 1) or not yet (0).
    expect([0, 1]).toContain(hello.lastSeq);
    const stored = hub.db.get(hello.streamId) as Stored;
    const kinds = stored.batches.map((b) => b.events.map((e) => e.kind));
    // The event emitted before the welcome comes first, then the snapshot (session + sync), then live counters.
    expect(kinds[0]).toEqual(['session']);
    expect(kinds[1]).toEqual(['session', 'sync']);
    expect(stored.batches.map((b) => b.seq)).toEqual(stored.batches.map((_, i) => i + 1));
    await until(() => stream.spool.unackedSeqs().length === 0);
  });

  it('hub crashes mid-stream and restarts: every batch is stored exactly once, in order', async () => {
    const monitor = new TestHostMonitor();
    const { stream, lines } = await collector(monitor);
    await until(() => stream.client.state === 'live');
    let n = 0;
    const produce = async (count: number) => {
      for (let i = 0; i < count; i++) {
        monitor.push(countersEvent(++n));
        await sleep(5);
      }
    };
    await produce(60);
    await hub.crash();
    await produce(80); // hub down: collected into the spool
    expect(stream.spool.unackedSeqs().length).toBeGreaterThan(0);
    await hub.start(hub.port);
    await produce(60);
    await until(() => storedCounterIds([...hub.db.values()][0] as Stored).length >= n);

    const stored = [...hub.db.values()][0] as Stored;
    expect(hub.db.size).toBe(1);
    expect(storedCounterIds(stored)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(stored.duplicates).toBe(0);
    expect(stored.batches.map((b) => b.seq)).toEqual(
      [...stored.batches.map((b) => b.seq)].sort((a, b) => a - b),
    );
    // Every welcome is followed by a snapshot batch.
    expect(
      stored.batches.filter((b) => b.events.some((e) => e.kind === 'sync')).length,
    ).toBeGreaterThanOrEqual(2);
    expect(hub.hellos.length).toBeGreaterThanOrEqual(2);
    expect(
      lines.some((l) => String(l.msg).includes('cannot reach the hub') || String(l.msg).includes('lost')),
    ).toBe(true);
    await until(() => stream.spool.unackedSeqs().length === 0);
  });

  it('collector restarts while the hub is down: spooled batches reach the hub once', async () => {
    await hub.crash();
    const monitor = new TestHostMonitor();
    const first = await collector(monitor);
    for (let i = 1; i <= 30; i++) monitor.push(countersEvent(i));
    await first.stream.stop(0);
    streams.splice(streams.indexOf(first.stream), 1);
    const streamId = first.stream.spool.streamId;

    await hub.start(hub.port);
    const monitor2 = new TestHostMonitor();
    const second = await collector(monitor2);
    expect(second.stream.spool.streamId).toBe(streamId);
    for (let i = 31; i <= 40; i++) monitor2.push(countersEvent(i));
    await until(
      () => storedCounterIds(hub.db.get(streamId) ?? ({ batches: [] } as unknown as Stored)).length >= 40,
    );
    const stored = hub.db.get(streamId) as Stored;
    expect(storedCounterIds(stored)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(stored.duplicates).toBe(0);
  });

  it('a rejected token (4401) is logged with what to do, retried with backoff, and never logged itself', async () => {
    const monitor = new TestHostMonitor();
    const wrong = 'wrong-token-77d1e0';
    const { stream, lines } = await collector(monitor, wrong);
    await until(() => hub.connections >= 4);
    expect(stream.client.state).not.toBe('live');
    const rejected = lines.filter((l) => l.level === 50 && String(l.msg).includes('4401'));
    expect(rejected.length).toBeGreaterThanOrEqual(3);
    expect(String(rejected[0]?.msg)).toContain('FTPSCOPE_TOKEN');
    expect(JSON.stringify(lines)).not.toContain(wrong);
    monitor.push(countersEvent(1));
    await until(() => stream.spool.unackedSeqs().length > 0); // still collecting
  });

  it('an unknown reply from the hub is logged and ignored', async () => {
    hub.preamble = '{"type":"surprise","x":1}';
    const monitor = new TestHostMonitor();
    const { stream, lines } = await collector(monitor);
    await until(() => stream.client.state === 'live');
    const warn = lines.find((l) => String(l.msg).includes('unknown reply'));
    expect(warn).toMatchObject({ level: 40, reply: '{"type":"surprise","x":1}' });
  });

  it('--hub A,B: stays on A while it works, fails over to B when A dies, every batch stored once', async () => {
    const other = new ProtocolHub(hub.db);
    await other.start();
    try {
      const monitor = new TestHostMonitor();
      const { stream, lines } = await collector(monitor, TOKEN, `${hub.url},${other.url}`);
      await until(() => stream.client.state === 'live');
      for (let i = 1; i <= 20; i++) monitor.push(countersEvent(i));
      await until(() => stream.spool.unackedCount === 0);
      expect([hub.hellos.length, other.hellos.length]).toEqual([1, 0]);
      await hub.crash();
      for (let i = 21; i <= 40; i++) monitor.push(countersEvent(i));
      await until(() => other.hellos.length === 1 && stream.spool.unackedCount === 0);
      const stored = hub.db.get(stream.spool.streamId) as Stored;
      expect(storedCounterIds(stored)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(stored.duplicates).toBe(0);
      expect(lines.some((l) => l.msg === 'trying the next hub' && l.next === other.url)).toBe(true);
    } finally {
      await other.crash();
    }
  });
});
