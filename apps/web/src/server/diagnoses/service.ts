import type { Backend, CollectorEvent, Diagnosis } from '@ftpscope/shared';
import { evaluate } from './engine.ts';
import { HostWindowBuffer } from './host-window-buffer.ts';
import { DiagnosisLifecycle, type LifecycleOptions, type Transition } from './lifecycle.ts';
import type { HostWindow, Log } from './types.ts';

/** How long a hub's claim to evaluate a host lasts without renewal (renewed every evaluation). */
export const LEASE_MS = 5000;

/** What the service needs from the store: who evaluates which host, and the diagnoses left active. */
export interface DiagnosisStorePort {
  /** Takes or renews this hub's lease on each host; resolves with the hosts this hub evaluates. */
  acquire(hosts: string[], now: number, ttlMs: number): Promise<string[]>;
  /** Gives the host up (its collector left this hub). */
  release(host: string): Promise<void>;
  /** The host's active diagnoses as stored (by whichever hub evaluated it before). */
  active(host: string): Promise<Diagnosis[]>;
}

/** What the diagnosis service needs: a log, the store port, and optionally a clock and tuning. */
export interface DiagnosisServiceOptions {
  log: Log;
  /** Leases and stored diagnoses; without it every connected host is evaluated and nothing is restored. */
  store?: DiagnosisStorePort;
  /** Every transition (opened, updated, resolved): store it, alert it and publish it. Errors are logged. */
  onTransition?: (t: Transition) => Promise<void> | void;
  /** How often every connected host is evaluated; default 1000 ms. */
  intervalMs?: number;
  now?: () => number;
  lifecycle?: LifecycleOptions;
  /** Networks treated as private (`--private-nets`); default DEFAULT_PRIVATE_NETS. */
  privateNets?: readonly string[];
}

/**
 * The diagnoses as the hub runs them: fed with every committed batch, evaluates each connected host once a
 * second and keeps the lifecycle. Several hubs may share a database: a host is evaluated only by the hub that
 * holds its lease, which first takes over the diagnoses the previous hub left open (they continue, they do
 * not open again), so each transition, and each alert, happens on one hub.
 */
export class DiagnosisService {
  readonly #opts: DiagnosisServiceOptions;
  readonly #buffers = new Map<string, HostWindowBuffer>();
  readonly #connected = new Set<string>();
  readonly #lifecycle: DiagnosisLifecycle;
  /** Hosts whose lease this hub held at the last evaluation. */
  #owned = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(opts: DiagnosisServiceOptions) {
    this.#opts = opts;
    this.#lifecycle = new DiagnosisLifecycle(opts.lifecycle);
  }

  #now(): number {
    return this.#opts.now ? this.#opts.now() : Date.now();
  }

  #buffer(host: string): HostWindowBuffer {
    let b = this.#buffers.get(host);
    if (!b) {
      b = new HostWindowBuffer(host, this.#opts.privateNets);
      this.#buffers.set(host, b);
    }
    return b;
  }

  /** A collector said hello: its host is evaluated from now on, fixes are written for its backends. */
  hostConnected(host: string, backends: Backend[]): void {
    this.#buffer(host).backends = backends;
    this.#connected.add(host);
  }

  /**
   * A collector went away: this hub stops evaluating its host and gives up the lease, so the hub the collector
   * moves to takes over; its diagnoses stay open (absence of data is not absence of the cause).
   */
  hostDisconnected(host: string): void {
    this.#connected.delete(host);
    if (!this.#owned.delete(host)) return;
    this.#lifecycle.forget(host);
    this.#opts.store
      ?.release(host)
      .catch((err: unknown) => this.#opts.log.warn({ err, host }, 'could not release the diagnoses lease'));
  }

  /** Feed the events of a batch after it was committed. Cheap: no evaluation happens here. */
  ingest(host: string, events: CollectorEvent[]): void {
    const b = this.#buffer(host);
    for (const e of events) b.apply(e);
  }

  /** The window of one host as the rules see it (for tests and debugging). */
  window(host: string, now = this.#now()): HostWindow | null {
    return this.#buffers.get(host)?.snapshot(now) ?? null;
  }

  /** Evaluates every connected host this hub holds the lease of; one evaluation runs at a time. */
  evaluateAll(now = this.#now()): Promise<Transition[]> {
    const run = (this.#running ?? Promise.resolve()).then(() => this.#evaluateAll(now));
    // The queue's own promise never rejects: the caller handles `run`'s failure (e.g. PostgreSQL going down
    // mid-evaluation); a second, unhandled rejection of the same error would end the hub process.
    const tracked: Promise<void> = run.then(
      () => this.#settled(tracked),
      () => this.#settled(tracked),
    );
    this.#running = tracked;
    return run;
  }

  #settled(tracked: Promise<void>): void {
    if (this.#running === tracked) this.#running = null;
  }

  async #evaluateAll(now: number): Promise<Transition[]> {
    const hosts = [...this.#connected];
    const store = this.#opts.store;
    const owned = new Set(store ? await store.acquire(hosts, now, LEASE_MS) : hosts);
    for (const host of this.#owned) if (!owned.has(host)) this.#lifecycle.forget(host);
    for (const host of owned) {
      if (this.#owned.has(host) || !store) continue;
      // Taken over (or first evaluation here): continue what was stored as active instead of re-opening it.
      this.#lifecycle.forget(host);
      this.#lifecycle.restore(await store.active(host));
    }
    this.#owned = owned;
    const out: Transition[] = [];
    for (const host of hosts) {
      if (!owned.has(host) || !this.#connected.has(host)) continue;
      out.push(...(await this.#evaluateHost(host, now)));
    }
    return out;
  }

  async #evaluateHost(host: string, now: number): Promise<Transition[]> {
    const buffer = this.#buffers.get(host);
    if (!buffer) return [];
    const candidates = evaluate(buffer.snapshot(now), now, { log: this.#opts.log });
    const transitions = this.#lifecycle.apply(host, candidates, now);
    for (const t of transitions) await this.#emit(t);
    return transitions;
  }

  async #emit(t: Transition): Promise<void> {
    if (t.event !== 'updated') {
      this.#opts.log.info(
        { id: t.diagnosis.id, event: t.event, severity: t.diagnosis.severity },
        `diagnosis ${t.event}: ${t.diagnosis.title}`,
      );
    }
    try {
      await this.#opts.onTransition?.(t);
    } catch (err) {
      this.#opts.log.error({ err, id: t.diagnosis.id }, 'storing/publishing a diagnosis failed');
    }
  }

  /** Active diagnoses of the hosts this hub evaluates, of one host or all. */
  active(host?: string): Diagnosis[] {
    return this.#lifecycle.active(host);
  }

  /** Starts the periodic evaluation (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#running) return; // the last round is still waiting for the store
      this.evaluateAll().catch((err: unknown) =>
        this.#opts.log.error({ err }, 'diagnosis evaluation failed'),
      );
    }, this.#opts.intervalMs ?? 1000);
    this.#timer.unref();
  }

  /** Stops evaluating and waits for a round in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => undefined);
  }
}
