import {
  type CollectorEvent,
  ERRORS,
  type Hello,
  HubMessage,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  type TraceEnd,
  type TracePcap,
  type TraceStart,
  type TraceSteps,
  type TraceStop,
} from '@ftpscope/shared';
import { Value } from '@sinclair/typebox/value';
import WebSocket from 'ws';
import type { HostInfo } from '../host-monitor.types.ts';
import type { Logger } from '../logger.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { PinMismatchError, pinnedConnect } from './pinned-tls.ts';
import type { Spool } from './spool.ts';

export interface HubClientOptions {
  /**
   * Full hub URL, e.g. ws://10.0.0.5:8080/ws/collector, or several separated by commas (hubs sharing one
   * PostgreSQL database): the client stays on one while it works and moves to the next when it is lost.
   */
  url: string;
  /** Sent as `Authorization: Bearer TOKEN` on the upgrade request; never logged. */
  token: string;
  /** Pinned key of the hub's certificate (`sha256//…`): nothing is sent to a hub presenting another one. */
  fingerprint?: string | null;
  host: string;
  collectorVersion: string;
  info: HostInfo;
  spool: Spool;
  /** Current full state of the host, sent as a new batch after every welcome. */
  snapshot: () => CollectorEvent[];
  /** Moves events still waiting in the batcher into the spool, so they precede the snapshot. */
  flushPending?: () => void;
  log: Logger;
  backoff?: BackoffOptions;
  /** Close and retry when no welcome arrives this long after open (ms). */
  helloTimeoutMs?: number;
  /** Ping period; a hub that misses one pong is considered gone (ms). */
  pingIntervalMs?: number;
  /** Stop sending while this many bytes wait in the socket (ms of backpressure, not memory growth). */
  maxBufferedBytes?: number;
  /** The hub's trace-start / trace-stop; answers go out with sendLive (a trace is live, never spooled). */
  onTrace?: (msg: TraceStart | TraceStop) => void;
  /** The connection that carried a trace is gone. */
  onDisconnect?: () => void;
}

export type HubClientState = 'idle' | 'connecting' | 'hello' | 'live' | 'waiting' | 'stopped';

/** What a close code means for the operator, and how loudly to say it. */
export function explainClose(code: number, host: string): { level: 'error' | 'warn' | 'info'; msg: string } {
  switch (code) {
    case ERRORS.FTPSCOPE_ERR_UNAUTHORIZED.close:
      return {
        level: 'error',
        msg: 'hub rejected the collector token (4401): it is wrong or was revoked; add the host again in the hub (Add FTP host) and put the new token in --token-file (or FTPSCOPE_TOKEN); retrying',
      };
    case ERRORS.FTPSCOPE_ERR_HOST_FORBIDDEN.close:
      return {
        level: 'error',
        msg: `hub refused host "${host}" for this token (4403): add "${host}" to the token's line in the hub's tokens file, or use a --name the token allows; retrying`,
      };
    case ERRORS.FTPSCOPE_ERR_HOST_TAKEN.close:
      return {
        level: 'warn',
        msg: `another collector is connected as "${host}" (4408): give every collector its own --name; retrying`,
      };
    case ERRORS.FTPSCOPE_ERR_PROTOCOL_VERSION.close:
      return {
        level: 'error',
        msg: `hub does not speak protocol version ${PROTOCOL_VERSION} (4426): run the same ftpscope version on collector and hub; retrying`,
      };
    case ERRORS.FTPSCOPE_ERR_RATE_LIMIT.close:
      return { level: 'warn', msg: 'hub rate-limited this collector (4429); retrying' };
    case 1000:
    case 1001:
    case 1005:
    case 1012:
      return { level: 'info', msg: `hub closed the connection (${code}, e.g. restarting); reconnecting` };
    case 1006:
      return {
        level: 'warn',
        msg: 'connection to the hub lost (1006); reconnecting, batches stay in the spool',
      };
  }
  const known = Object.entries(ERRORS).find(([, e]) => e.close === code);
  if (known) {
    return {
      level: 'error',
      msg: `hub closed the connection: ${known[1].message} (${known[0]}, ${code}); this is a bug in collector or hub, please report it with these logs; retrying`,
    };
  }
  return { level: 'warn', msg: `hub closed the connection with code ${code}; retrying` };
}

/**
 * One host's connection to the hub: hello → welcome → resend unacked batches → snapshot → live batches,
 * acks delete from the spool. Never gives up: while the hub is away, batches wait in the spool.
 */
export class HubClient {
  private readonly o: HubClientOptions;
  private readonly backoff: Backoff;
  private ws: WebSocket | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private helloTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private awaitingPong = false;
  private pumping = false;
  /** Highest sequence sent (or known stored) on the current connection. */
  private sentSeq = 0;
  private connections = 0;
  private _state: HubClientState = 'idle';
  private readonly urls: string[];
  private urlIndex = 0;

  constructor(opts: HubClientOptions) {
    this.o = opts;
    this.backoff = new Backoff(opts.backoff);
    this.urls = opts.url.split(',').filter((u) => u !== '');
  }

  /** The hub this client is connected or connecting to. */
  get url(): string {
    return this.urls[this.urlIndex % this.urls.length] ?? this.url;
  }

  get state(): HubClientState {
    return this._state;
  }

  /** Starts connecting; reconnects by itself until stop(). */
  start(): void {
    if (this._state === 'idle') this.connect();
  }

  /** New batches are in the spool: send them now if connected. */
  notify(): void {
    if (this._state === 'live') void this.pump();
  }

  /** Resolves when the hub acknowledged everything in the spool, or after timeoutMs. */
  async drain(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (this.o.spool.unackedCount > 0) {
      if (this._state !== 'live' || Date.now() >= end) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  /** Closes the connection for good. */
  async stop(): Promise<void> {
    this._state = 'stopped';
    this.clearTimers();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
      ws.once('close', () => {
        clearTimeout(kill);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'collector stopping');
    });
  }

  private connect(): void {
    if (this._state === 'stopped') return;
    this._state = 'connecting';
    this.backoff.connecting();
    const ws = new WebSocket(this.url, {
      headers: { authorization: `Bearer ${this.o.token}` },
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      handshakeTimeout: this.o.helloTimeoutMs ?? 10_000,
      ...(this.o.fingerprint ? { createConnection: pinnedConnect(this.o.fingerprint) as never } : {}),
    });
    this.ws = ws;
    ws.on('open', () => this.onOpen(ws));
    ws.on('message', (data, isBinary) => this.onMessage(ws, data, isBinary));
    ws.on('pong', () => {
      this.awaitingPong = false;
    });
    ws.on('error', (err) => this.onError(err));
    ws.on('close', (code, reason) => this.onClose(ws, code, reason.toString()));
  }

  private onOpen(ws: WebSocket): void {
    const { info } = this.o;
    const hello: Hello = {
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      host: this.o.host,
      collectorVersion: this.o.collectorVersion.slice(0, 64),
      kernel: info.kernel.slice(0, 128),
      backends: info.backends,
      capabilities: info.capabilities.map((c) => c.slice(0, 64)),
      streamId: this.o.spool.streamId,
      lastSeq: this.o.spool.lastSeq,
    };
    this._state = 'hello';
    ws.send(JSON.stringify(hello));
    this.helloTimer = setTimeout(() => {
      this.o.log.warn({ url: this.url }, 'hub did not answer hello with welcome in time; reconnecting');
      ws.terminate();
    }, this.o.helloTimeoutMs ?? 10_000);
  }

  private onMessage(ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    if (ws !== this.ws) return;
    let msg: unknown;
    try {
      msg = isBinary ? undefined : JSON.parse(data.toString());
    } catch {
      msg = undefined;
    }
    if (!Value.Check(HubMessage, msg)) {
      this.o.log.warn(
        { reply: data.toString().slice(0, 200) },
        'unknown reply from the hub ignored (is --hub pointing at an ftpscope hub of the same version?)',
      );
      return;
    }
    if (msg.type === 'welcome') this.onWelcome(msg.lastSeq, msg.protocolVersion);
    else if (msg.type === 'ack') this.o.spool.ack(msg.seq);
    else if (this._state === 'live') this.o.onTrace?.(msg);
  }

  /** Sends a live message (trace answers) now; false when not connected (it is not kept). */
  sendLive(msg: TraceSteps | TracePcap | TraceEnd): boolean {
    const ws = this.ws;
    if (this._state !== 'live' || !ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }

  private onWelcome(lastSeq: number, protocolVersion: number): void {
    if (this._state !== 'hello') {
      this.o.log.warn('unexpected second welcome from the hub ignored');
      return;
    }
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = null;
    if (protocolVersion !== PROTOCOL_VERSION) {
      this.o.log.warn(
        { hub: protocolVersion, collector: PROTOCOL_VERSION },
        'hub speaks another protocol version',
      );
    }
    const { spool } = this.o;
    spool.ack(lastSeq); // the hub stored these already: never resend them
    this.sentSeq = lastSeq;
    const unacked = spool.unackedCount;
    this.o.flushPending?.();
    try {
      spool.append(this.o.snapshot());
    } catch (err) {
      this.o.log.error(
        { err: (err as Error).message },
        'could not take a snapshot for the hub; sending live events only',
      );
    }
    this._state = 'live';
    this.backoff.connected();
    this.connections += 1;
    this.o.log.info(
      {
        url: this.url,
        hubLastSeq: lastSeq,
        resending: unacked,
        reconnect: this.connections > 1,
      },
      'connected to the hub',
    );
    this.startPing();
    void this.pump();
  }

  /** Sends every spooled batch after sentSeq, in order, pausing while the socket buffer is full. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    const max = this.o.maxBufferedBytes ?? 1024 * 1024;
    try {
      for (;;) {
        const ws = this.ws;
        if (this._state !== 'live' || !ws || ws.readyState !== WebSocket.OPEN) return;
        const batch = this.o.spool.next(this.sentSeq);
        if (!batch) return;
        const sent = new Promise<void>((resolve) => ws.send(batch.json, () => resolve()));
        this.sentSeq = batch.seq;
        if (ws.bufferedAmount > max) await sent;
      }
    } finally {
      this.pumping = false;
    }
  }

  private startPing(): void {
    const every = this.o.pingIntervalMs ?? 15_000;
    this.awaitingPong = false;
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws) return;
      if (this.awaitingPong) {
        this.o.log.warn({ url: this.url }, 'hub stopped answering pings; reconnecting');
        ws.terminate();
        return;
      }
      this.awaitingPong = true;
      ws.ping();
    }, every);
    this.pingTimer.unref();
  }

  private onError(err: Error): void {
    const failures = this.backoff.failures;
    if (err instanceof PinMismatchError) {
      this.o.log.error(
        { url: this.url, expected: err.expected, actual: err.actual, failures },
        `refusing the hub at ${this.url}: its certificate key is ${err.actual} but --hub-fingerprint (FTPSCOPE_HUB_FINGERPRINT) pins ${err.expected}; nothing was sent (not even the token). If the hub's certificate was replaced on purpose, copy the new fingerprint from the hub's Add FTP host dialog; otherwise something else answers at this address. Retrying`,
      );
      return;
    }
    const status = /Unexpected server response: (\d+)/.exec(err.message)?.[1];
    let msg = `cannot reach the hub at ${this.url} (${err.message}); collecting into the spool and retrying`;
    if (status === '401')
      msg = 'hub rejected the collector token (HTTP 401): check FTPSCOPE_TOKEN / --token-file';
    else if (status === '403') msg = `hub refused host "${this.o.host}" for this token (HTTP 403)`;
    else if (status) msg = `hub answered HTTP ${status} to the WebSocket upgrade at ${this.url}: check --hub`;
    else if (/self[- ]signed|unable to verify|unable to get local issuer/i.test(err.message))
      msg = `cannot verify the hub's certificate at ${this.url} (${err.message}): give --hub-fingerprint (FTPSCOPE_HUB_FINGERPRINT) as the hub's Add FTP host dialog shows it; retrying`;
    // One warning per outage, then a reminder every 10 attempts: a long outage must not flood the log.
    const loud = failures <= 1 || failures % 10 === 0 || status !== undefined;
    this.o.log[loud ? 'warn' : 'debug']({ url: this.url, failures }, msg);
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.ws = null;
    this.clearTimers();
    this.o.onDisconnect?.();
    if (this._state === 'stopped') return;
    const wasUp = this._state === 'live' || this._state === 'hello';
    if (wasUp) {
      const { level, msg } = explainClose(code, this.o.host);
      this.o.log[level]({ code, reason: reason.slice(0, 200) }, msg);
    }
    const delay = this.backoff.closed();
    if (this.urls.length > 1) {
      // Fail over: the next attempt goes to the next hub (they share one database and the stream's bookkeeping).
      this.urlIndex = (this.urlIndex + 1) % this.urls.length;
      this.o.log.info({ next: this.url }, 'trying the next hub');
    }
    this._state = 'waiting';
    this.o.log.debug({ delayMs: delay, failures: this.backoff.failures }, 'reconnect scheduled');
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private clearTimers(): void {
    if (this.helloTimer) clearTimeout(this.helloTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.helloTimer = null;
    this.pingTimer = null;
  }
}
