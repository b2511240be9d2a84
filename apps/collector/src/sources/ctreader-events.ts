import type { Gap } from '@ftpscope/shared';
import type { LineStream, SpawnLines } from '../exec.ts';
import type { ConntrackRecord } from './conntrack-parse.ts';
import { ctreaderArgs, describeReaderExit } from './ctreader-listing.ts';
import { parseReaderLine } from './ctreader-parse.ts';
import type { ExpectRecord } from './expect-parse.ts';
import { LossPeriod, type LossReport } from './loss-period.ts';
import { MAX_EXAMPLES } from './parse-result.ts';

/** Same coalescing of losses into periods as the tool's event source (see ConntrackEvents). */
const LOSS_QUIET_MS = 500;
const LOSS_MAX_MS = 2000;
/** A reader that ran this long before it exited is restarted quickly again (the failure was not at start). */
const STABLE_MS = 30_000;
/** How long a resync waits for the reader's "subscribed" line before it lists anyway. */
const READY_TIMEOUT_MS = 5000;

export interface NativeEventsOptions {
  spawn: SpawnLines;
  /** The reader binary (see locateCtReader). */
  path: string;
  ftpPorts: number[];
  /** The FTP server's passive range, read when the reader starts (null: unknown, not filtered on). */
  passiveRange: () => [number, number] | null;
  /** Receive buffer to start with (bytes); the reader doubles it itself after a loss, up to 256 MiB. */
  bufferBytes: number;
  onConntrack(rec: ConntrackRecord): void;
  onExpect(rec: ExpectRecord): void;
  /** Events were lost (ENOBUFS, or the reader exited and was restarted): once per loss period. */
  onLoss(gap: Gap): void;
  onProblem(message: string): void;
  now(): number;
}

/**
 * Conntrack and expectation events from the native reader (`ftpscope-ctreader events`), which drops
 * non-FTP events in the kernel and prints the rest as tab-separated lines. A reader that exits or is killed is
 * restarted with backoff and the loss is reported as a gap (the caller resyncs from a listing, and the
 * model's stable ids keep the re-read entries from being duplicated).
 */
export class NativeConntrackEvents {
  private stream: LineStream | null = null;
  private stopped = true;
  private failures = 0;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private buffer: number;
  private ready: Promise<void> = Promise.resolve();
  private markReady: () => void = () => {};
  private readonly loss: LossPeriod;
  /** Whether the kernel-side filter is attached (false: the reader filters in user space only). */
  kernelFilter: boolean | null = null;
  /** Records handed to the model so far (every one is FTP-related). */
  records = 0;
  /**
   * The reader's last counts (it prints them on SIGUSR1): conntrack events that reached it and those it printed.
   * Equal when its socket filter dropped everything else in the kernel.
   */
  counts: { parsed: number; printed: number } | null = null;
  readonly stats = { unknown: 0, examples: [] as string[] };

  constructor(private readonly opts: NativeEventsOptions) {
    this.buffer = opts.bufferBytes;
    this.loss = new LossPeriod({
      quietMs: LOSS_QUIET_MS,
      maxMs: LOSS_MAX_MS,
      now: opts.now,
      onEnd: (r) => this.report(r),
    });
  }

  /** Current receive buffer size (bytes), as the reader reported it. */
  get bufferBytes(): number {
    return this.buffer;
  }

  start(): void {
    this.stopped = false;
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
    this.startedAt = this.opts.now();
    const args = [
      'events',
      ...ctreaderArgs(this.opts.ftpPorts, this.opts.passiveRange()),
      '--buffer',
      String(this.buffer),
    ];
    let lastErr = '';
    const s: LineStream = this.opts.spawn(this.opts.path, args, {
      onStdout: (line) => this.onLine(line),
      onStderr: (line) => {
        if (line.trim() !== '') lastErr = line.trim();
      },
      onExit: (code, error) => this.onExit(s, code, error ?? lastErr),
    });
    this.stream = s;
  }

  /** True once the reader says it is subscribed (a listing taken next misses nothing), false after READY_TIMEOUT_MS. */
  subscribed(): Promise<boolean> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => {
      t = setTimeout(() => r(false), READY_TIMEOUT_MS);
      t.unref?.();
    });
    return Promise.race([this.ready.then(() => true), timeout]).finally(() => clearTimeout(t));
  }

  /** The running reader's process id. */
  get pid(): number | undefined {
    return this.stream?.pid;
  }

  stop(): void {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.loss.stop();
    this.stream?.stop();
    this.stream = null;
    this.markReady();
  }

  private onLine(line: string): void {
    const r = parseReaderLine(line);
    if (r?.kind === 'ct') {
      this.records++;
      this.opts.onConntrack(r.rec);
    } else if (r?.kind === 'exp') {
      this.records++;
      this.opts.onExpect(r.rec);
    } else if (r?.kind === 'ready') {
      this.kernelFilter = r.kernelFilter;
      this.buffer = r.buffer || this.buffer;
      this.markReady();
    } else if (r?.kind === 'loss') {
      this.buffer = r.buffer || this.buffer;
      this.loss.note();
    } else if (r?.kind === 'counts') {
      this.counts = { parsed: r.parsed, printed: r.printed };
    } else if (line.trim() !== '') {
      this.stats.unknown++;
      if (this.stats.examples.length < MAX_EXAMPLES) this.stats.examples.push(line.slice(0, 300));
    }
  }

  private onExit(stream: LineStream, code: number | null, why: string): void {
    if (this.stopped || stream !== this.stream) return;
    this.stream = null;
    const fatal = describeReaderExit('events', this.opts.path, code, why);
    if (fatal) {
      // No privilege, a bad argument or a vanished binary: a restart cannot help.
      this.opts.onProblem(fatal);
      this.stop();
      return;
    }
    if (this.opts.now() - this.startedAt >= STABLE_MS) this.failures = 0;
    const delay = Math.min(30_000, 500 * 2 ** Math.min(this.failures, 6));
    this.failures++;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopped) return;
      this.start();
      this.loss.note(`native conntrack reader exited (${code === null ? 'killed' : `code ${code}`})`);
    }, delay);
    this.restartTimer.unref?.();
  }

  private report(r: LossReport): void {
    if (this.stopped) return;
    const parts: string[] = [];
    if (r.warnings > 0) {
      const secs = ((r.until - r.since) / 1000).toFixed(1);
      parts.push(
        `conntrack events lost: ${r.warnings} ENOBUFS in ${secs} s; receive buffer now ${this.buffer} bytes`,
      );
    }
    const exits = new Map<string, number>();
    for (const e of r.exits) exits.set(e, (exits.get(e) ?? 0) + 1);
    for (const [e, n] of exits) parts.push(n === 1 ? e : `${e} ${n} times`);
    const tail = '; resynchronised from a listing';
    this.opts.onLoss({
      at: r.since,
      source: 'conntrack-events',
      reason: parts.join('; ').slice(0, 512 - tail.length) + tail,
      fromSeq: null,
      toSeq: null,
    });
  }
}
