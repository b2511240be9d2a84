import type { Gap } from '@ftpscope/shared';
import type { LineStream, SpawnLines } from '../exec.ts';
import { type ConntrackRecord, isSummaryLine, parseConntrackLine } from './conntrack-parse.ts';
import { type ExpectRecord, parseExpectLine } from './expect-parse.ts';
import { MAX_EXAMPLES } from './parse-result.ts';

/** Largest receive buffer we grow to after losses (bytes). */
const MAX_BUFFER = 256 * 1024 * 1024;

export interface ConntrackEventsOptions {
  spawn: SpawnLines;
  /** conntrack -E receive buffer to start with (bytes). */
  bufferBytes: number;
  onConntrack(rec: ConntrackRecord): void;
  onExpect(rec: ExpectRecord): void;
  /** Events were lost (ENOBUFS, or a stream exited): the streams were restarted; the caller resyncs. */
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

/**
 * The conntrack and expectation event streams (`conntrack -E -p tcp -o timestamp,id -b N`,
 * `conntrack -E expect -o timestamp`). On ENOBUFS, or when a stream exits, both are restarted with a
 * doubled buffer and a gap is reported so the caller resynchronises with a listing.
 */
export class ConntrackEvents {
  private streams: LineStream[] = [];
  private buffer: number;
  private stopped = false;
  private restarting = false;
  private failures = 0;
  readonly stats: UnknownStats = { unknown: 0, examples: [] };

  constructor(private readonly opts: ConntrackEventsOptions) {
    this.buffer = opts.bufferBytes;
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
        // A stopped stream keeps printing its last warnings: only the current ones may trigger a restart.
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
    for (const s of this.streams) s.stop();
    this.streams = [];
  }

  private unknown(line: string): void {
    if (line.trim() === '' || isSummaryLine(line)) return;
    this.stats.unknown++;
    if (this.stats.examples.length < MAX_EXAMPLES) this.stats.examples.push(line.slice(0, 300));
  }

  private onStderr(what: string, line: string): void {
    if (/ENOBUFS|No buffer space available/.test(line))
      this.restart(`${what} lost (ENOBUFS) with a ${this.buffer}-byte buffer`);
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
    this.failures++;
    // A stream that keeps dying (no privilege, no kernel support) is retried slowly instead of spinning.
    const delay = Math.min(30_000, 500 * 2 ** Math.min(this.failures, 6));
    setTimeout(
      () => this.restart(`conntrack event stream exited (code ${code ?? error ?? 'signal'})`),
      delay,
    ).unref();
  }

  private restart(reason: string): void {
    if (this.stopped || this.restarting) return;
    this.restarting = true;
    for (const s of this.streams) s.stop();
    this.streams = [];
    this.buffer = Math.min(MAX_BUFFER, this.buffer * 2);
    this.start();
    this.restarting = false;
    this.opts.onLoss({
      at: this.opts.now(),
      source: 'conntrack-events',
      reason: `${reason}; restarted with ${this.buffer} bytes and resynchronised from a listing`,
      fromSeq: null,
      toSeq: null,
    });
  }
}
