import type { Gap } from '@ftpscope/shared';
import type { LineStream, SpawnLines } from '../exec.ts';
import { type ConntrackRecord, isSummaryLine, parseConntrackLine } from './conntrack-parse.ts';
import { type ExpectRecord, parseExpectLine } from './expect-parse.ts';
import { LossPeriod, type LossReport } from './loss-period.ts';
import { MAX_EXAMPLES } from './parse-result.ts';

/** Largest receive buffer we grow to after losses (bytes). */
const MAX_BUFFER = 256 * 1024 * 1024;

export interface ConntrackEventsOptions {
  spawn: SpawnLines;
  /** conntrack -E receive buffer to start with (bytes). */
  bufferBytes: number;
  onConntrack(rec: ConntrackRecord): void;
  onExpect(rec: ExpectRecord): void;
  /** Events were lost (ENOBUFS, or a stream exited and was restarted): once per loss period; the caller resyncs. */
  onLoss(gap: Gap): void;
  /** A stream cannot run at all (missing binary, no privilege). */
  onProblem(message: string): void;
  now(): number;
}

/** Unknown-line statistics of a parser, exposed so the collector can report them. */
export interface UnknownStats {
  unknown: number;
  examples: string[];
}

/** A loss period ends (resync, gap, one log line) after this long without a further ENOBUFS... */
const LOSS_QUIET_MS = 500;
/** ...or this long after it began: during a storm, at most one resync every 2 s. */
const LOSS_MAX_MS = 2000;

/**
 * The conntrack and expectation event streams (`conntrack -E -p tcp -o timestamp,id -b N`,
 * `conntrack -E expect -o timestamp`). `conntrack -E` keeps running after an ENOBUFS warning, so a
 * warning only records a loss; losses are coalesced into periods (see LossPeriod) and each period ends
 * with one gap (the caller resyncs once). A stream that exits is restarted. The buffer is doubled (up to
 * MAX_BUFFER) at the end of a period with ENOBUFS, which restarts the streams once; at the cap they run on.
 */
export class ConntrackEvents {
  private streams: LineStream[] = [];
  private buffer: number;
  private stopped = false;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly loss: LossPeriod;
  readonly stats: UnknownStats = { unknown: 0, examples: [] };

  constructor(private readonly opts: ConntrackEventsOptions) {
    this.buffer = opts.bufferBytes;
    this.loss = new LossPeriod({
      quietMs: LOSS_QUIET_MS,
      maxMs: LOSS_MAX_MS,
      now: opts.now,
      onEnd: (r) => this.report(r),
    });
  }

  /** Process ids of the running event readers (to check they have subscribed). */
  pids(): number[] {
    return this.streams.flatMap((s) => (s.pid === undefined ? [] : [s.pid]));
  }

  /** Current receive buffer size (bytes). */
  get bufferBytes(): number {
    return this.buffer;
  }

  start(): void {
    this.stopped = false;
    const mk = (what: string, args: string[], onLine: (line: string) => void) => {
      const s: LineStream = this.opts.spawn('conntrack', args, {
        onStdout: onLine,
        // A stopped stream keeps printing its last warnings: only the current ones count.
        onStderr: (line) => {
          if (this.streams.includes(s)) this.onStderr(what, line);
        },
        onExit: (code, error) => this.onExit(s, code, error),
      });
      return s;
    };
    this.streams = [
      mk('conntrack events', ['-E', '-p', 'tcp', '-o', 'timestamp,id', '-b', String(this.buffer)], (line) => {
        const rec = parseConntrackLine(line);
        if (rec) this.opts.onConntrack(rec);
        else this.unknown(line);
      }),
      // conntrack 1.4.7 refuses -b for the expectation table ("Illegal option --buffer-size"); it is a small stream.
      mk('conntrack expectation events', ['-E', 'expect', '-o', 'timestamp'], (line) => {
        const rec = parseExpectLine(line);
        if (rec) this.opts.onExpect(rec);
        else this.unknown(line);
      }),
    ];
  }

  stop(): void {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.loss.stop();
    for (const s of this.streams) s.stop();
    this.streams = [];
  }

  private unknown(line: string): void {
    if (line.trim() === '' || isSummaryLine(line)) return;
    this.stats.unknown++;
    if (this.stats.examples.length < MAX_EXAMPLES) this.stats.examples.push(line.slice(0, 300));
  }

  private onStderr(_what: string, line: string): void {
    if (/ENOBUFS|No buffer space available/.test(line)) this.loss.note();
    else if (/Operation not permitted/.test(line)) {
      this.opts.onProblem('conntrack -E: permission denied; run the collector as root or with CAP_NET_ADMIN');
      // Retrying cannot help (privileges do not change while we run): stop, instead of reporting a fake
      // "events lost, resynchronised" gap every 30 s and growing the buffer.
      this.stop();
    }
    // NOTICE lines, the buffer hints after ENOBUFS and the final summary are expected.
  }

  private onExit(stream: LineStream, code: number | null, error: string | null): void {
    if (this.stopped || !this.streams.includes(stream)) return;
    if (code === 127 || (error !== null && /ENOENT/.test(error))) {
      this.opts.onProblem('conntrack is not installed: apt-get install conntrack');
      this.stop();
      return;
    }
    // Both streams restart together, once: the other one's exit in the meantime changes nothing.
    if (this.restartTimer) return;
    this.failures++;
    // A stream that keeps dying (no kernel support, killed by someone) is retried slowly instead of spinning.
    const delay = Math.min(30_000, 500 * 2 ** Math.min(this.failures, 6));
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopped) return;
      for (const s of this.streams) s.stop();
      this.start();
      this.loss.note(`conntrack event stream exited (code ${code ?? error ?? 'signal'})`);
    }, delay);
    this.restartTimer.unref?.();
  }

  /** Ends a loss period: grow the buffer (restarting the streams) while below the cap, then one gap. */
  private report(r: LossReport): void {
    if (this.stopped) return;
    const parts: string[] = [];
    if (r.warnings > 0) {
      const secs = ((r.until - r.since) / 1000).toFixed(1);
      parts.push(
        `conntrack events lost: ${r.warnings} ENOBUFS warning${r.warnings === 1 ? '' : 's'} in ${secs} s with a ${this.buffer}-byte buffer`,
      );
    }
    const exits = new Map<string, number>();
    for (const e of r.exits) exits.set(e, (exits.get(e) ?? 0) + 1);
    for (const [e, n] of exits) parts.push(n === 1 ? e : `${e} ${n} times`);
    if (r.warnings > 0 && this.buffer < MAX_BUFFER && !this.restartTimer) {
      this.buffer = Math.min(MAX_BUFFER, this.buffer * 2);
      for (const s of this.streams) s.stop();
      this.start();
      parts.push(`restarted with ${this.buffer} bytes`);
    }
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
