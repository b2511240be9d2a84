import type { Backend, CollectorEvent, Diagnosis } from '@ftpscope/shared';
import { evaluate } from './engine.ts';
import { HostWindowBuffer } from './host-window-buffer.ts';
import { DiagnosisLifecycle, type LifecycleOptions, type Transition } from './lifecycle.ts';
import type { HostWindow, Log } from './types.ts';
import { AlertWebhook, type WebhookOptions } from './webhook.ts';

/** What the diagnosis service needs: a log, and optionally alerts, restored state, a clock and tuning. */
export interface DiagnosisServiceOptions {
  log: Log;
  /** `--alert-webhook URL`; null/undefined: no alerts. */
  webhookUrl?: string | null;
  /** Every transition (opened, updated, resolved): store it and publish it on /ws/live. Must not throw. */
  onTransition?: (t: Transition) => void;
  /** Diagnoses that were active when the hub stopped (from the store): they continue, not re-open. */
  restore?: Diagnosis[];
  /** How often every connected host is evaluated; default 1000 ms. */
  intervalMs?: number;
  now?: () => number;
  lifecycle?: LifecycleOptions;
  webhook?: Omit<WebhookOptions, 'url' | 'log'>;
  /** Networks treated as private (`--private-nets`); default DEFAULT_PRIVATE_NETS. */
  privateNets?: readonly string[];
}

/**
 * The diagnoses as the hub runs them: fed with every committed batch, evaluates each connected
 * host once a second, keeps the lifecycle, and sends opened/resolved alerts to the webhook.
 */
export class DiagnosisService {
  readonly #opts: DiagnosisServiceOptions;
  readonly #buffers = new Map<string, HostWindowBuffer>();
  readonly #connected = new Set<string>();
  readonly #lifecycle: DiagnosisLifecycle;
  readonly webhook: AlertWebhook | null;
  #timer: NodeJS.Timeout | null = null;

  constructor(opts: DiagnosisServiceOptions) {
    this.#opts = opts;
    this.#lifecycle = new DiagnosisLifecycle(opts.lifecycle);
    this.#lifecycle.restore(opts.restore ?? []);
    this.webhook = opts.webhookUrl
      ? new AlertWebhook({ url: opts.webhookUrl, log: opts.log, ...opts.webhook })
      : null;
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

  /** A collector went away: its diagnoses are frozen (absence of data is not absence of the cause). */
  hostDisconnected(host: string): void {
    this.#connected.delete(host);
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

  /** Evaluates one host now and handles its transitions. */
  evaluateHost(host: string, now = this.#now()): Transition[] {
    const buffer = this.#buffers.get(host);
    if (!buffer) return [];
    const candidates = evaluate(buffer.snapshot(now), now, { log: this.#opts.log });
    const transitions = this.#lifecycle.apply(host, candidates, now);
    for (const t of transitions) this.#emit(t);
    return transitions;
  }

  /** Evaluates every connected host. */
  evaluateAll(now = this.#now()): Transition[] {
    return [...this.#connected].flatMap((h) => this.evaluateHost(h, now));
  }

  #emit(t: Transition): void {
    if (t.event !== 'updated') {
      this.#opts.log.info(
        { id: t.diagnosis.id, event: t.event, severity: t.diagnosis.severity },
        `diagnosis ${t.event}: ${t.diagnosis.title}`,
      );
      this.webhook?.send(t.event, t.diagnosis);
    }
    try {
      this.#opts.onTransition?.(t);
    } catch (err) {
      this.#opts.log.error({ err, id: t.diagnosis.id }, 'storing/publishing a diagnosis failed');
    }
  }

  /** Active diagnoses, of one host or all. */
  active(host?: string): Diagnosis[] {
    return this.#lifecycle.active(host);
  }

  /** Starts the periodic evaluation (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      try {
        this.evaluateAll();
      } catch (err) {
        this.#opts.log.error({ err }, 'diagnosis evaluation failed');
      }
    }, this.#opts.intervalMs ?? 1000);
    this.#timer.unref();
  }

  /** Stops evaluating and waits for pending alerts (bounded by the webhook's retry schedule). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.webhook?.close();
  }
}
