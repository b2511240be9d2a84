import type { AlertsStore } from '../store/index.ts';
import type { Log } from './types.ts';
import type { AlertWebhook } from './webhook.ts';

/** How often the outbox looks for alerts nobody sends (another hub's, left when it died). */
const POLL_MS = 1000;
/** Alerts claimed at once; never more than the webhook's queue takes without dropping. */
const CLAIM = 50;

/**
 * Sends the store's alert outbox to the webhook: claims pending alerts (this hub's new ones at once when
 * kicked, a dead hub's on the next poll), hands them to the webhook's retrying queue and marks each done once
 * delivered or given up. The outbox row is written with the diagnosis, so an alert survives the hub dying
 * between the transition and the webhook's answer, and is sent by exactly one hub.
 */
export class AlertOutbox {
  readonly #store: AlertsStore;
  readonly #webhook: AlertWebhook;
  readonly #log: Log;
  readonly #now: () => number;
  readonly #maxQueue: number;
  #timer: NodeJS.Timeout | null = null;
  #draining: Promise<void> | null = null;
  #again = false;
  readonly #marking = new Set<Promise<void>>();

  constructor(o: {
    store: AlertsStore;
    webhook: AlertWebhook;
    log: Log;
    now: () => number;
    maxQueue?: number;
  }) {
    this.#store = o.store;
    this.#webhook = o.webhook;
    this.#log = o.log;
    this.#now = o.now;
    this.#maxQueue = o.maxQueue ?? 1000;
  }

  /** Polls for orphaned alerts; the timer does not keep the process alive. */
  start(): void {
    this.#timer ??= setInterval(() => this.kick(), POLL_MS);
    this.#timer.unref();
    this.kick();
  }

  /** New alerts were recorded: claim and send them now. */
  kick(): void {
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = this.#drain()
      .catch((err: unknown) => this.#log.warn({ err: String(err) }, 'alert outbox: could not claim alerts'))
      .finally(() => {
        this.#draining = null;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  async #drain(): Promise<void> {
    for (;;) {
      const room = Math.min(CLAIM, this.#maxQueue - this.#webhook.pending);
      if (room <= 0) return;
      const claimed = await this.#store.claim(room, this.#now());
      for (const a of claimed) {
        this.#webhook.send(a.event, a.diagnosis, (outcome) => this.#done(a.key, outcome));
      }
      if (claimed.length < room) return;
    }
  }

  #done(key: string, outcome: string): void {
    const p = this.#store
      .done(key, this.#now())
      .catch((err: unknown) =>
        this.#log.error({ err: String(err), key, outcome }, 'alert outbox: could not mark an alert sent'),
      )
      .finally(() => this.#marking.delete(p));
    this.#marking.add(p);
  }

  /** Resolves once every alert recorded so far was delivered (or given up) and marked done. */
  async flush(): Promise<void> {
    do {
      this.kick();
      await this.#draining;
      await this.#webhook.flush();
      await Promise.all([...this.#marking]);
    } while (this.#draining !== null || this.#webhook.pending > 0);
  }

  /** Stops polling and lets the webhook finish (bounded by its grace period). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#draining;
    await this.#webhook.close();
    await Promise.all([...this.#marking]);
  }
}
