import { ERRORS, type ErrorCode, type LiveEvent, type LiveEvents, LiveSubscribe } from '@ftpscope/shared';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyBaseLogger } from 'fastify';
import { WebSocket } from 'ws';
import { TokenBucket } from '../ingest/token-bucket.ts';
import { CoalescingQueue } from './coalescing-queue.ts';

const checkSubscribe = TypeCompiler.Compile(LiveSubscribe);

/**
 * Most events in one message to a browser. A browser parses each message in its own task: 10,000 session updates
 * in one 3 MB message were one long task (a dropped frame every second in the host view); in pieces of this size
 * each parse fits between two frames.
 */
export const LIVE_CHUNK_EVENTS = 500;

/** Tuning of the live fan-out. */
export interface LiveLimits {
  /** Above this many bytes buffered in the socket, stop sending and coalesce instead. */
  highWaterBytes: number;
  /** A browser this far behind (queued events) is closed with 4429 and reloads over REST. */
  maxQueued: number;
  /** How often a blocked client is retried (ms). */
  retryMs: number;
}

/** One browser on /ws/live: its subscription and its bounded, coalescing send queue. */
export class LiveClient {
  readonly #ws: WebSocket;
  readonly #log: FastifyBaseLogger;
  readonly #limits: LiveLimits;
  readonly #queue = new CoalescingQueue();
  /** Messages drained from the queue and not sent yet (in order; sent one per turn of the event loop). */
  readonly #outbox: LiveEvents[] = [];
  readonly #bucket: TokenBucket;
  readonly remote: string;
  #hosts: '*' | Set<string> | null = null;
  #scheduled = false;
  #closed = false;
  /** Messages sent and flushes deferred because the socket was full (metrics and tests). */
  sent = 0;
  deferred = 0;

  constructor(
    ws: WebSocket,
    remote: string,
    opts: {
      log: FastifyBaseLogger;
      limits: LiveLimits;
      now: () => number;
      onSubscribe: (c: LiveClient) => void;
    },
  ) {
    this.#ws = ws;
    this.remote = remote;
    this.#log = opts.log;
    this.#limits = opts.limits;
    this.#bucket = new TokenBucket(20, 100, opts.now);
    ws.on('message', (data, isBinary) => {
      if (this.#closed) return;
      if (!this.#bucket.take()) {
        this.fail('FTPSCOPE_ERR_RATE_LIMIT', 'too many messages');
        return;
      }
      let msg: unknown;
      try {
        if (isBinary) throw new Error('binary frame');
        msg = JSON.parse((data as Buffer).toString('utf8'));
      } catch (err) {
        this.fail('FTPSCOPE_ERR_BAD_JSON', (err as Error).message);
        return;
      }
      if (!checkSubscribe.Check(msg)) {
        const first = checkSubscribe.Errors(msg).First();
        this.fail('FTPSCOPE_ERR_SCHEMA', first ? `${first.path || '/'}: ${first.message}` : 'invalid');
        return;
      }
      this.#hosts = msg.hosts === '*' ? '*' : new Set(msg.hosts);
      opts.onSubscribe(this);
    });
    ws.on('close', () => {
      this.#closed = true;
    });
    ws.on('error', (err) => this.#log.debug({ remote, err: err.message }, 'live socket error'));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The hosts this browser follows ('*' for all; null before it subscribed). */
  get following(): '*' | ReadonlySet<string> | null {
    return this.#hosts;
  }

  /** True when this browser follows the host. */
  follows(host: string): boolean {
    return this.#hosts === '*' || (this.#hosts?.has(host) ?? false);
  }

  /** Queues events of a host this browser follows and schedules a send on the next turn of the loop. */
  enqueue(host: string, events: LiveEvent[]): void {
    if (this.#closed || !this.follows(host)) return;
    this.#queue.push(host, events);
    if (this.#queue.size > this.#limits.maxQueued) {
      this.fail('FTPSCOPE_ERR_RATE_LIMIT', 'browser too slow for the live stream; reload');
      return;
    }
    this.#schedule(0);
  }

  #schedule(delayMs: number): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    const run = () => {
      this.#scheduled = false;
      this.#flush();
    };
    if (delayMs === 0) setImmediate(run);
    else setTimeout(run, delayMs).unref();
  }

  #flush(): void {
    if (this.#closed || this.#ws.readyState !== WebSocket.OPEN) return;
    if (this.#outbox.length === 0 && this.#queue.size === 0) return;
    // A slow browser: keep coalescing in the queue instead of growing the socket's buffer.
    if (this.#ws.bufferedAmount > this.#limits.highWaterBytes) {
      this.deferred++;
      this.#schedule(this.#limits.retryMs);
      return;
    }
    if (this.#outbox.length === 0) {
      for (const msg of this.#queue.drain()) {
        for (let i = 0; i < msg.events.length; i += LIVE_CHUNK_EVENTS)
          this.#outbox.push(
            msg.events.length <= LIVE_CHUNK_EVENTS
              ? msg
              : { ...msg, events: msg.events.slice(i, i + LIVE_CHUNK_EVENTS) },
          );
      }
    }
    // One message per turn of the event loop: serialising a big fan-out (10,000 sessions, ~3 MB of JSON) at once
    // held every HTTP request of the hub up behind it.
    const next = this.#outbox.shift();
    if (next) {
      this.#ws.send(JSON.stringify(next));
      this.sent++;
    }
    if (this.#outbox.length > 0 || this.#queue.size > 0) this.#schedule(0);
  }

  /** Closes with a catalogue code and logs why. */
  fail(code: ErrorCode, detail: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#log.warn({ remote: this.remote, code }, `live client closed: ${detail}`);
    this.#ws.close(ERRORS[code].close, `${code}: ${detail}`.slice(0, 120));
  }
}
