import type { LiveEvents, LiveSubscribe } from '@ftpscope/shared';
import { backoffDelay } from './backoff.ts';
import { type LiveHosts, liveHostsKey, widens } from './live-scope.ts';

/** What the header shows: the browser's link to the hub's live feed. */
export type LiveStatus = 'connecting' | 'connected' | 'reconnecting' | 'unauthorized';

/** Receives every message that arrived since the last animation frame, in order. */
export type LiveBatchHandler = (batch: LiveEvents[]) => void;

/** Seams for tests: the socket, the frame scheduler, timers and randomness. */
export interface LiveDeps {
  createSocket: (url: string) => WebSocket;
  requestFrame: (cb: () => void) => unknown;
  setTimer: (cb: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
  random: () => number;
  url: string;
}

/** The hub's close code for a missing or wrong token (errors.ts FTPSCOPE_ERR_UNAUTHORIZED). */
const CLOSE_UNAUTHORIZED = 4401;

function defaultDeps(): LiveDeps {
  const loc = globalThis.location;
  const scheme = loc?.protocol === 'https:' ? 'wss' : 'ws';
  return {
    createSocket: (url) => new WebSocket(url),
    requestFrame: (cb) => requestAnimationFrame(() => cb()),
    setTimer: (cb, ms) => setTimeout(cb, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    random: Math.random,
    url: `${scheme}://${loc?.host ?? '127.0.0.1'}/ws/live`,
  };
}

/**
 * The `/ws/live` connection: follows the hosts the current view shows (every host until told otherwise),
 * hands messages to handlers once per animation frame (so a burst of 1,000 events costs one render),
 * reconnects with backoff and tells listeners to catch up from REST after every reconnect.
 */
export class LiveConnection {
  status = $state<LiveStatus>('connecting');
  /** When the next reconnect attempt happens (epoch ms), while reconnecting. */
  retryAt = $state<number | null>(null);
  /** Messages received since the page loaded (shown in the status tooltip). */
  received = $state(0);

  #deps: LiveDeps;
  #socket: WebSocket | null = null;
  #attempt = 0;
  #timer: unknown = null;
  #pending: LiveEvents[] = [];
  #frameScheduled = false;
  #everConnected = false;
  #stopped = false;
  #handlers = new Set<LiveBatchHandler>();
  #reconnectListeners = new Set<() => void>();
  #widenListeners = new Set<() => void>();
  #hosts: LiveHosts = '*';
  /** Key of the subscription sent on the current socket (null: none sent yet). */
  #sentKey: string | null = null;
  #onUnauthorized: () => void;

  constructor(onUnauthorized: () => void, deps: Partial<LiveDeps> = {}) {
    this.#deps = { ...defaultDeps(), ...deps };
    this.#onUnauthorized = onUnauthorized;
  }

  /** Handle batches of live messages; returns the unsubscribe function. */
  onBatch(handler: LiveBatchHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  /** Called after the socket re-opens following a loss, so holders of REST state re-fetch it. */
  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener);
    return () => this.#reconnectListeners.delete(listener);
  }

  /** Called after the subscription grew to hosts not followed before, whose events were not received. */
  onWiden(listener: () => void): () => void {
    this.#widenListeners.add(listener);
    return () => this.#widenListeners.delete(listener);
  }

  /** Follow only these hosts from now on, on the same socket; also what a reconnect subscribes to. */
  follow(hosts: LiveHosts): void {
    const prev = this.#hosts;
    this.#hosts = hosts === '*' ? '*' : [...hosts];
    if (liveHostsKey(hosts) === liveHostsKey(prev)) return;
    const socket = this.#socket;
    if (this.status !== 'connected' || !socket) return; // sent on open
    this.#subscribe(socket);
    if (widens(prev, hosts)) for (const l of this.#widenListeners) l();
  }

  /** Open the socket (again after a login). */
  start(): void {
    this.#stopped = false;
    this.#attempt = 0;
    this.#clearTimer();
    this.#open();
  }

  /** Close for good (page teardown, tests). */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
    this.#socket?.close();
    this.#socket = null;
  }

  #open(): void {
    this.status = this.#everConnected ? 'reconnecting' : 'connecting';
    this.retryAt = null;
    let socket: WebSocket;
    try {
      socket = this.#deps.createSocket(this.#deps.url);
    } catch {
      this.#scheduleRetry();
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      const wasReconnect = this.#everConnected;
      this.#everConnected = true;
      this.#attempt = 0;
      this.status = 'connected';
      this.#sentKey = null;
      this.#subscribe(socket);
      if (wasReconnect) for (const l of this.#reconnectListeners) l();
    };
    socket.onmessage = (ev: MessageEvent) => this.#receive(ev.data);
    socket.onclose = (ev: CloseEvent) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      if (this.#stopped) return;
      if (ev.code === CLOSE_UNAUTHORIZED) {
        this.status = 'unauthorized';
        this.#onUnauthorized();
        return;
      }
      this.#scheduleRetry();
    };
  }

  #subscribe(socket: WebSocket): void {
    const key = liveHostsKey(this.#hosts);
    if (key === this.#sentKey) return;
    const sub: LiveSubscribe = { type: 'subscribe', hosts: this.#hosts };
    socket.send(JSON.stringify(sub));
    this.#sentKey = key;
  }

  #scheduleRetry(): void {
    this.status = 'reconnecting';
    const delay = backoffDelay(this.#attempt++, this.#deps.random);
    this.retryAt = Date.now() + delay;
    this.#timer = this.#deps.setTimer(() => {
      this.#timer = null;
      if (!this.#stopped) this.#open();
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.#deps.clearTimer(this.#timer);
    this.#timer = null;
  }

  #receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: LiveEvents;
    try {
      msg = JSON.parse(data) as LiveEvents;
    } catch {
      console.warn('ftpscope: ignoring a live message that is not JSON');
      return;
    }
    if (msg?.type !== 'events' || !Array.isArray(msg.events)) return;
    this.#pending.push(msg);
    this.received++;
    if (this.#frameScheduled) return;
    this.#frameScheduled = true;
    this.#deps.requestFrame(() => this.#flush());
  }

  #flush(): void {
    this.#frameScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    for (const h of this.#handlers) {
      try {
        h(batch);
      } catch (err) {
        console.error('ftpscope: a live handler failed', err);
      }
    }
  }
}
