import type { StoreLog } from '../store.ts';
import { explainPgError, isConnectionError } from './connect.ts';

/**
 * Says once when PostgreSQL stops answering (with the cause) and once when it answers again (after how long),
 * instead of one error per batch: the log of an outage reads as two lines.
 */
export class PgHealth {
  readonly #url: string;
  readonly #log: StoreLog;
  #downSince: number | null = null;
  /** A failure without a cause (a client already broken): said only if no error with a cause follows. */
  #vague: NodeJS.Timeout | undefined;

  constructor(url: string, log: StoreLog) {
    this.#url = url;
    this.#log = log;
  }

  get down(): boolean {
    return this.#downSince !== null;
  }

  /** Runs op, noting whether the server answered. */
  async track<T>(op: () => Promise<T>): Promise<T> {
    try {
      const v = await op();
      this.ok();
      return v;
    } catch (err) {
      this.failed(err);
      throw err;
    }
  }

  ok(): void {
    clearTimeout(this.#vague);
    this.#vague = undefined;
    if (this.#downSince === null) return;
    const s = ((Date.now() - this.#downSince) / 1000).toFixed(1);
    this.#downSince = null;
    this.#log.info({ downForS: Number(s) }, `store recovered: PostgreSQL answers again after ${s} s`);
  }

  failed(err: unknown): void {
    if (!isConnectionError(err) || this.#downSince !== null) return;
    if ((err as { code?: string }).code === undefined) {
      this.#vague ??= setTimeout(() => this.#declare(err), 300);
      this.#vague.unref();
      return;
    }
    this.#declare(err);
  }

  #declare(err: unknown): void {
    clearTimeout(this.#vague);
    this.#vague = undefined;
    if (this.#downSince !== null) return;
    this.#downSince = Date.now();
    this.#log.error(
      { err: (err as Error).message },
      `store unavailable: ${explainPgError(this.#url, err)}; collectors keep their batches in their spools and resend them`,
    );
  }
}
