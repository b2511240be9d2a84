/** What was lost in one loss period, reported once when the period ends. */
export interface LossReport {
  /** First loss of the period (ms). */
  since: number;
  /** Last loss of the period (ms). */
  until: number;
  /** ENOBUFS warnings seen in the period. */
  warnings: number;
  /** Why streams restarted in the period (one entry per restart). */
  exits: string[];
}

export interface LossPeriodOptions {
  /** The period ends after this long without a further loss... */
  quietMs: number;
  /** ...or this long after it began, whichever comes first (a storm still gets a report every maxMs). */
  maxMs: number;
  now(): number;
  onEnd(report: LossReport): void;
}

/**
 * Coalesces event losses into periods: a storm of ENOBUFS warnings (hundreds a second) gives one report
 * per period instead of one per warning, so the caller resyncs, logs and records a gap once per period.
 */
export class LossPeriod {
  private current: LossReport | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: LossPeriodOptions) {}

  /** Records an ENOBUFS warning (exit = null) or a stream restart (exit = why it exited). */
  note(exit: string | null = null): void {
    const now = this.opts.now();
    const p = this.current ?? { since: now, until: now, warnings: 0, exits: [] };
    this.current = p;
    p.until = now;
    if (exit === null) p.warnings++;
    else p.exits.push(exit);
    // One timer per period, re-armed when it fires early: warnings may arrive thousands of times a second.
    if (!this.timer) this.arm(this.opts.quietMs);
  }

  /** Drops the current period without reporting it (the streams are stopped). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.current = null;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(0, ms));
    this.timer.unref?.();
  }

  private fire(): void {
    this.timer = null;
    const p = this.current;
    if (!p) return;
    const end = Math.min(p.until + this.opts.quietMs, p.since + this.opts.maxMs);
    const now = this.opts.now();
    if (now < end) {
      this.arm(end - now);
      return;
    }
    this.current = null;
    this.opts.onEnd(p);
  }
}
