/** Reconnect timing: exponential backoff with full jitter and a cap, reset after a stable connection. */
export interface BackoffOptions {
  /** First ceiling (ms); attempt n waits random() * min(capMs, baseMs * 2^n). */
  baseMs?: number;
  capMs?: number;
  /** A connection that lasted this long resets the backoff to baseMs. */
  stableMs?: number;
  now?: () => number;
  random?: () => number;
}

export type BackoffState = 'idle' | 'connecting' | 'connected' | 'waiting';

/**
 * A small state machine: idle → connecting → connected → (closed) waiting → connecting …
 * Only the delay policy lives here; the caller owns sockets and timers, so tests drive it with a fake clock.
 */
export class Backoff {
  readonly baseMs: number;
  readonly capMs: number;
  readonly stableMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private attempt = 0;
  private connectedAt: number | null = null;
  state: BackoffState = 'idle';

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 500;
    this.capMs = opts.capMs ?? 30_000;
    this.stableMs = opts.stableMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /** Failed attempts since the last stable connection. */
  get failures(): number {
    return this.attempt;
  }

  /** A connection attempt starts. */
  connecting(): void {
    this.state = 'connecting';
  }

  /** The session is up (for the hub client: welcome received). */
  connected(): void {
    this.state = 'connected';
    this.connectedAt = this.now();
  }

  /** The connection closed or the attempt failed: returns how long to wait before the next attempt. */
  closed(): number {
    if (this.connectedAt !== null && this.now() - this.connectedAt >= this.stableMs) this.attempt = 0;
    this.connectedAt = null;
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    this.state = 'waiting';
    return Math.floor(this.random() * ceiling);
  }

  /** Back to the start (e.g. on shutdown). */
  reset(): void {
    this.attempt = 0;
    this.connectedAt = null;
    this.state = 'idle';
  }
}
