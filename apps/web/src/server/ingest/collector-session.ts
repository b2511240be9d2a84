import type { IncomingMessage } from 'node:http';
import {
  type Batch,
  CollectorMessage,
  ERRORS,
  type ErrorCode,
  type Hello,
  type HubMessage,
  PROTOCOL_VERSION,
  type TraceStart,
  type TraceStop,
} from '@ftpscope/shared';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { HostTakenError, type Store, StreamMovedError } from '../store/index.ts';
import { allows, type Grant } from './collector-auth.ts';
import type { HubEvents } from './hub-events.ts';
import { TokenBucket } from './token-bucket.ts';

const checkMessage = TypeCompiler.Compile(CollectorMessage);

/** Messages of one collector waiting for the store before its socket stops being read (backpressure). */
const MAX_QUEUED = 16;

/** Shared by every collector connection. */
export interface IngestContext {
  store: Store;
  events: HubEvents;
  log: FastifyBaseLogger;
  now: () => number;
  /** Messages per second a collector may send on average; the burst (100x) leaves room for a spool replay. */
  rate: number;
  /** Connected collectors by host name (one per host). */
  connected: Map<string, CollectorSession>;
  heartbeatMs: number;
}

/**
 * One collector's WebSocket: hello → welcome, then batches stored exactly once and acknowledged after commit.
 * Any protocol violation closes this socket with the catalogue's close code; nothing else is affected.
 */
export class CollectorSession {
  readonly #ws: WebSocket;
  readonly #ctx: IngestContext;
  readonly #grant: NonNullable<Grant>;
  readonly #bucket: TokenBucket;
  readonly remote: string;
  #hello: Hello | undefined;
  #lastSeqOnConnection = 0;
  #helloSeen = false;
  /** Messages are stored one after another, in order: each waits for the previous one's commit. */
  #chain: Promise<void> = Promise.resolve();
  #queued = 0;
  #closed = false;
  #alive = true;
  #heartbeat: NodeJS.Timeout;

  constructor(ws: WebSocket, req: IncomingMessage, grant: NonNullable<Grant>, ctx: IngestContext) {
    this.#ws = ws;
    this.#ctx = ctx;
    this.#grant = grant;
    this.remote = remoteOf(req);
    this.#bucket = new TokenBucket(ctx.rate, ctx.rate * 100, ctx.now);
    ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    ws.on('close', (code) => this.#onClose(code));
    ws.on('error', (err) => {
      // ws reports oversize frames here (then closes with 1009) and socket errors.
      ctx.log.warn({ remote: this.remote, host: this.host, err: err.message }, 'collector socket error');
    });
    ws.on('pong', () => {
      this.#alive = true;
    });
    // A dead TCP peer is only noticed by a missing pong; it must not hold its host forever (see 4408).
    this.#heartbeat = setInterval(() => {
      if (!this.#alive) {
        ctx.log.warn({ remote: this.remote, host: this.host }, 'collector missed its heartbeat, terminating');
        ws.terminate();
        return;
      }
      this.#alive = false;
      ws.ping();
    }, ctx.heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Id of the hub-issued token this collector authenticated with (none for --collector-token/--tokens). */
  get tokenId(): string | undefined {
    return this.#grant.tokenId;
  }

  /** Host name once hello was accepted. */
  get host(): string | undefined {
    return this.#hello?.host;
  }

  get streamId(): string | undefined {
    return this.#hello?.streamId;
  }

  /** What the collector said it can do in its hello (e.g. `trace`). */
  get capabilities(): readonly string[] {
    return this.#hello?.capabilities ?? [];
  }

  /** Asks the collector to start or stop a trace (only after hello; a closed socket drops it). */
  send(msg: TraceStart | TraceStop): void {
    if (!this.#hello || this.#closed) return;
    this.#send(msg);
  }

  /** Closes with a catalogue code, logging why with the remote address. */
  fail(code: ErrorCode, detail: string): void {
    if (this.#closed) return;
    this.#closed = true;
    const entry = ERRORS[code];
    this.#ctx.log.warn(
      { remote: this.remote, host: this.host, code, closeCode: entry.close },
      `collector closed: ${detail}`,
    );
    this.#ws.close(entry.close, truncate(`${code}: ${detail}`));
  }

  #send(msg: HubMessage): void {
    this.#ws.send(JSON.stringify(msg));
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return;
    if (!this.#bucket.take()) {
      this.fail('FTPSCOPE_ERR_RATE_LIMIT', `more than ${this.#ctx.rate} messages/s`);
      return;
    }
    let msg: unknown;
    try {
      if (isBinary) throw new Error('binary frame');
      msg = JSON.parse(data.toString('utf8'));
    } catch (err) {
      this.fail('FTPSCOPE_ERR_BAD_JSON', (err as Error).message);
      return;
    }
    // Check the version before the shape: a newer collector's hello may legitimately look different.
    const m = msg as { type?: unknown; protocolVersion?: unknown };
    if (m?.type === 'hello' && m.protocolVersion !== PROTOCOL_VERSION) {
      this.fail(
        'FTPSCOPE_ERR_PROTOCOL_VERSION',
        `collector speaks ${String(m.protocolVersion)}, hub speaks ${PROTOCOL_VERSION}`,
      );
      return;
    }
    if (!checkMessage.Check(msg)) {
      const first = checkMessage.Errors(msg).First();
      this.fail('FTPSCOPE_ERR_SCHEMA', first ? `${first.path || '/'}: ${first.message}` : 'invalid message');
      return;
    }
    if (msg.type !== 'hello' && msg.type !== 'batch') {
      if (!this.#helloSeen) {
        this.fail('FTPSCOPE_ERR_NO_HELLO', `${msg.type} before hello`);
        return;
      }
      // Trace answers (live, never stored): in order after this connection's hello.
      const trace = msg;
      this.#enqueue(async () => {
        if (this.#hello) this.#ctx.events.emit('traceMessage', this.#hello.host, trace);
      });
      return;
    }
    if (msg.type === 'hello') {
      if (this.#helloSeen) {
        this.fail('FTPSCOPE_ERR_SCHEMA', 'hello sent twice on one connection');
        return;
      }
      this.#helloSeen = true;
    } else {
      if (!this.#helloSeen) {
        this.fail('FTPSCOPE_ERR_NO_HELLO', 'batch before hello');
        return;
      }
      if (msg.seq <= this.#lastSeqOnConnection) {
        this.fail('FTPSCOPE_ERR_SEQUENCE', `seq ${msg.seq} after ${this.#lastSeqOnConnection}`);
        return;
      }
      this.#lastSeqOnConnection = msg.seq;
    }
    this.#enqueue(() => (msg.type === 'hello' ? this.#onHello(msg) : this.#onBatch(msg)));
  }

  /** Runs `step` after every earlier message was handled; reads pause while too many wait (the store is slow). */
  #enqueue(step: () => Promise<void>): void {
    this.#queued += 1;
    if (this.#queued === MAX_QUEUED) this.#ws.pause();
    this.#chain = this.#chain
      .then(() => (this.#closed ? undefined : step()))
      .catch((err: unknown) => {
        this.#ctx.log.error(
          { remote: this.remote, host: this.host, err },
          'handling a collector message failed',
        );
        this.fail('FTPSCOPE_ERR_INTERNAL', 'the hub could not handle the message; it will be resent');
      })
      .finally(() => {
        this.#queued -= 1;
        if (this.#queued === MAX_QUEUED - 1) this.#ws.resume();
      });
  }

  /** Resolves once every message received so far was handled (tests, shutdown). */
  settled(): Promise<void> {
    return this.#chain;
  }

  async #onHello(hello: Hello): Promise<void> {
    if (!allows(this.#grant, hello.host)) {
      this.fail('FTPSCOPE_ERR_HOST_FORBIDDEN', `token may not report host ${hello.host}`);
      return;
    }
    const { connected, store, events, now, log } = this.#ctx;
    const other = connected.get(hello.host);
    if (other && other.streamId !== hello.streamId) {
      this.fail(
        'FTPSCOPE_ERR_HOST_TAKEN',
        `host ${hello.host} is already reported by another collector (stream ${other.streamId}) from ${other.remote}`,
      );
      return;
    }
    // Same stream: the same collector reconnected before its old socket was noticed dead; the newest wins.
    other?.fail('FTPSCOPE_ERR_HOST_TAKEN', 'replaced by a newer connection of the same collector stream');
    this.#hello = hello;
    connected.set(hello.host, this);
    const at = now();
    let lastSeq: number;
    try {
      await store.hosts.hello(hello, at);
      lastSeq = await store.streams.attach(hello.host, hello.streamId, at);
    } catch (err) {
      if (err instanceof HostTakenError) {
        connected.delete(hello.host);
        this.fail('FTPSCOPE_ERR_HOST_TAKEN', `${err.message} (stream ${hello.streamId} refused)`);
        return;
      }
      // The store says once what is wrong (and when it is back); each refused hello is one line.
      log.warn(
        { remote: this.remote, host: hello.host, err: (err as Error).message },
        'collector asked to retry later: the store cannot be reached',
      );
      this.fail(
        'FTPSCOPE_ERR_INTERNAL',
        'the hub cannot reach its store; retry later (batches stay in the spool)',
      );
      return;
    }
    if (this.#closed) return;
    log.info(
      {
        remote: this.remote,
        host: hello.host,
        streamId: hello.streamId,
        lastSeq,
        collectorLastSeq: hello.lastSeq,
      },
      'collector connected',
    );
    this.#send({ type: 'welcome', protocolVersion: PROTOCOL_VERSION, lastSeq });
    events.emit('host', hello.host, true, at, hello.backends);
  }

  async #onBatch(batch: Batch): Promise<void> {
    const hello = this.#hello;
    if (!hello) return; // its hello failed: the socket is closing
    let stored: boolean;
    try {
      stored = await this.#ctx.store.writeBatch(hello.host, hello.streamId, batch, this.#ctx.now());
    } catch (err) {
      if (err instanceof StreamMovedError) {
        this.fail('FTPSCOPE_ERR_HOST_TAKEN', `${err.message}; this connection is stale`);
        return;
      }
      this.#ctx.log.error(
        { remote: this.remote, host: hello.host, seq: batch.seq, err },
        'storing a batch failed',
      );
      this.fail('FTPSCOPE_ERR_INTERNAL', 'storing the batch failed; it will be resent');
      return;
    }
    // Acknowledged only now: the batch and its sequence are committed (or were already).
    if (this.#closed) return;
    this.#send({ type: 'ack', seq: batch.seq });
    if (stored && batch.events.length > 0) this.#ctx.events.emit('batch', hello.host, batch.events);
  }

  #onClose(code: number): void {
    clearInterval(this.#heartbeat);
    this.#closed = true;
    const host = this.#hello?.host;
    if (host === undefined || this.#ctx.connected.get(host) !== this) return;
    this.#ctx.connected.delete(host);
    const at = this.#ctx.now();
    // After what this connection still had queued, so the host is not marked connected again by a late hello.
    void this.#chain.then(() =>
      this.#ctx.store.hosts.setConnected(host, false, at).catch((err: unknown) => {
        // The store may already be closed during shutdown, or unreachable.
        this.#ctx.log.debug({ err }, 'could not mark host disconnected');
      }),
    );
    this.#ctx.log.info({ remote: this.remote, host, code }, 'collector disconnected');
    this.#ctx.events.emit('host', host, false, at, []);
  }
}

/** Remote address:port of a request, for logs. */
export function remoteOf(req: IncomingMessage): string {
  const s = req.socket;
  return `${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`;
}

/** Close reasons are limited to 123 bytes. */
function truncate(reason: string): string {
  const buf = Buffer.from(reason, 'utf8');
  return buf.length <= 123 ? reason : `${buf.subarray(0, 120).toString('utf8')}...`;
}
