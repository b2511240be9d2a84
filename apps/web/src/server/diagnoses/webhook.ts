import type { Diagnosis } from '@ftpscope/shared';
import type { Log } from './types.ts';

/** Body POSTed to the alert webhook. */
export interface AlertBody {
  event: 'opened' | 'resolved';
  diagnosis: Diagnosis;
}

/** Where alerts go and how hard delivery tries (defaults in the constructor). */
export interface WebhookOptions {
  url: string;
  log: Log;
  /** Alerts waiting for delivery; when full the oldest is dropped (and logged). */
  maxQueue?: number;
  /** Attempts per alert before it is given up (and logged). */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt, with jitter, up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Injected for tests of the backoff schedule; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

interface Pending {
  key: string;
  body: AlertBody;
  onDone?: (outcome: AlertOutcome) => void;
}

/** How an alert ended: delivered, given up after its retries, or dropped from a full queue. */
export type AlertOutcome = 'delivered' | 'given-up' | 'dropped';

/** How many delivered keys are remembered to refuse duplicates. */
const REMEMBERED_KEYS = 10_000;

/**
 * Delivers diagnosis alerts to `--alert-webhook` from an in-memory queue: `send()` never blocks
 * or throws (ingest must not wait on a slow receiver). One alert per (diagnosis, event, occurrence).
 */
export class AlertWebhook {
  readonly #opts: Required<Omit<WebhookOptions, 'sleep'>> & Pick<WebhookOptions, 'sleep'>;
  readonly #queue: Pending[] = [];
  readonly #known = new Set<string>();
  #running: Promise<void> | null = null;
  #closed = false;
  /** Set when close() ran out of grace: no more attempts, so nothing outlives the hub's shutdown. */
  #abandoned = false;
  /** Counters for /metrics and tests. */
  readonly stats = { delivered: 0, failedAttempts: 0, givenUp: 0, dropped: 0, duplicates: 0 };

  constructor(opts: WebhookOptions) {
    const url = new URL(opts.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`--alert-webhook must be an http(s) URL, got ${url.protocol}`);
    }
    this.#opts = {
      maxQueue: 1000,
      maxAttempts: 8,
      baseDelayMs: 500,
      maxDelayMs: 60_000,
      timeoutMs: 5000,
      ...opts,
    };
  }

  /**
   * Queues an alert. Returns false for a duplicate (already queued or delivered) or after close().
   * The id names one occurrence (`<key>@<firstSeen>`), so a problem that resolves and later returns
   * alerts again.
   */
  send(event: AlertBody['event'], diagnosis: Diagnosis, onDone?: (outcome: AlertOutcome) => void): boolean {
    if (this.#closed) return false;
    const key = `${diagnosis.id}|${event}`;
    if (this.#known.has(key)) {
      this.stats.duplicates += 1;
      return false;
    }
    this.#remember(key);
    if (this.#queue.length >= this.#opts.maxQueue) {
      const dropped = this.#queue.shift();
      dropped?.onDone?.('dropped');
      this.stats.dropped += 1;
      this.#opts.log.error(
        { key: dropped?.key, maxQueue: this.#opts.maxQueue },
        'alert webhook queue full: oldest alert dropped',
      );
    }
    this.#queue.push({ key, body: { event, diagnosis }, ...(onDone && { onDone }) });
    this.#running ??= this.#drain().finally(() => {
      this.#running = null;
    });
    return true;
  }

  /** Alerts queued or being delivered. */
  get pending(): number {
    return this.#queue.length + (this.#running ? 1 : 0);
  }

  /** Resolves when every queued alert was delivered or given up. */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops accepting alerts and waits up to `graceMs` for the queue; what is left is abandoned and logged as lost. */
  async close(graceMs = 5000): Promise<void> {
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), graceMs);
    });
    const result = await Promise.race([this.flush(), timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.#abandoned = true;
      this.#opts.log.error(
        { pending: this.#queue.length + 1 },
        'alert webhook: shutting down with undelivered alerts',
      );
    }
  }

  #remember(key: string): void {
    this.#known.add(key);
    if (this.#known.size > REMEMBERED_KEYS) {
      const oldest = this.#known.values().next().value;
      if (oldest !== undefined) this.#known.delete(oldest);
    }
  }

  async #drain(): Promise<void> {
    for (let item = this.#queue.shift(); item && !this.#abandoned; item = this.#queue.shift()) {
      await this.#deliver(item);
    }
  }

  async #deliver(item: Pending): Promise<void> {
    const { url, maxAttempts, log } = this.#opts;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const outcome = await this.#post(item);
      if (outcome === 'ok') {
        this.stats.delivered += 1;
        item.onDone?.('delivered');
        return;
      }
      this.stats.failedAttempts += 1;
      if (outcome === 'permanent' || attempt === maxAttempts || this.#abandoned) break;
      await this.#sleep(this.#delay(attempt));
    }
    // Abandoned at shutdown: not given up, so an outbox sends it again after the restart.
    if (this.#abandoned) return;
    this.stats.givenUp += 1;
    item.onDone?.('given-up');
    log.error(
      { key: item.key, url: redact(url) },
      'alert webhook: giving up on this alert; check that the URL accepts POST application/json',
    );
  }

  /** 'permanent' for 4xx answers other than 408/429: retrying the same body will not help. */
  async #post(item: Pending): Promise<'ok' | 'retry' | 'permanent'> {
    const { url, timeoutMs, log } = this.#opts;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': item.key },
        body: JSON.stringify(item.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return 'ok';
      log.warn(
        { key: item.key, status: res.status, url: redact(url) },
        'alert webhook answered with an error status',
      );
      return res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429
        ? 'permanent'
        : 'retry';
    } catch (err) {
      log.warn(
        { key: item.key, url: redact(url), err: String(err) },
        'alert webhook unreachable; will retry',
      );
      return 'retry';
    }
  }

  #delay(attempt: number): number {
    const base = Math.min(this.#opts.maxDelayMs, this.#opts.baseDelayMs * 2 ** (attempt - 1));
    return base / 2 + Math.random() * (base / 2);
  }

  #sleep(ms: number): Promise<void> {
    // Unref'd: a backoff of up to maxDelayMs must not keep a closing process alive.
    return this.#opts.sleep ? this.#opts.sleep(ms) : new Promise((r) => setTimeout(r, ms).unref());
  }
}

/** The URL without credentials or query (tokens often live there), for logs. */
function redact(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
