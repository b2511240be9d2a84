import type { DroppedPacket, Verdict } from '@ftpscope/shared';
import type { LineStream, SpawnLines } from '../exec.ts';
import { whenSubscribed } from './netlink-subscribed.ts';
import { parseTraceLine, type TracePacket, type TraceWhere } from './nft-trace-parse.ts';
import { MAX_EXAMPLES } from './parse-result.ts';

/** Where a traced packet met its end: the chain, and the rule handle (null: the chain's policy). */
export interface TraceVerdictAt extends TraceWhere {
  handle: number | null;
}

export interface NftTraceOptions {
  spawn: SpawnLines;
  /** The id of the rule (or policy) a trace names, when the collector knows it. */
  ruleFor(at: TraceVerdictAt): Promise<string | null> | string | null;
  onDrop(drop: DroppedPacket): void;
  onProblem(message: string): void;
  now(): number;
}

/** Traces in flight kept at most (a trace that never ends in a drop was accepted and is forgotten). */
const MAX_OPEN = 4096;
/**
 * Drops wait for the owner's flush() (the monitor calls it with each rule poll, so they ride in the batch
 * that carries the counters: every extra batch costs a spool write, a send and an ack, far more than the
 * drop), but never longer than this.
 */
const MAX_WAIT_MS = 2000;

/**
 * Follows `nft -a monitor trace` (the packets ftpscope's observation table marks with nftrace) and emits a
 * DroppedPacket for each one a rule or policy dropped or rejected, naming that rule. Counters and log rules
 * are not needed: the kernel's trace names the chain and rule handle itself.
 */
export class NftTraceSource {
  private stream: LineStream | null = null;
  private stopped = false;
  private readonly open = new Map<string, TracePacket>();
  private pending: DroppedPacket[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  readonly stats = { unknown: 0, examples: [] as string[] };

  constructor(private readonly opts: NftTraceOptions) {}

  start(): void {
    this.stopped = false;
    this.run(0);
  }

  /** Resolves true once `nft monitor trace` listens (traces from then on reach it), false after `timeoutMs`. */
  listening(timeoutMs: number): Promise<boolean> {
    return whenSubscribed(() => (this.stream?.pid === undefined ? [] : [this.stream.pid]), timeoutMs);
  }

  stop(): void {
    this.flush();
    this.stopped = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.stream?.stop();
    this.stream = null;
    this.open.clear();
  }

  /** Feeds one line (the stream's handler; tests replay recorded output through it). */
  line(line: string): void {
    // Most lines are rules that let the packet go on: only packet lines and drops matter.
    if (line.startsWith('trace id') && !line.includes('packet:') && !line.includes('drop')) return;
    const t = parseTraceLine(line);
    if (t === null) {
      if (line.trim() !== '' && !line.startsWith('trace id')) this.unknown(line);
      return;
    }
    if (t.type === 'packet') {
      this.open.delete(t.id);
      this.open.set(t.id, t.packet);
      if (this.open.size > MAX_OPEN) this.open.delete(this.open.keys().next().value as string);
      return;
    }
    const dropped =
      (t.type === 'rule' && t.verdict === 'drop') ||
      (t.type === 'policy' && t.verdict === 'drop') ||
      (t.type === 'verdict' && t.verdict === 'drop');
    if (!dropped) return;
    const packet = this.open.get(t.id);
    if (!packet) return;
    this.open.delete(t.id);
    const verdict: Verdict = t.type === 'rule' && /\breject\b/.test(t.text) ? 'reject' : 'drop';
    const at = this.opts.now();
    const where = { id: t.id, family: t.family, table: t.table, chain: t.chain };
    const handle = t.type === 'rule' ? t.handle : null;
    const label = `trace: ${t.family} ${t.table} ${t.chain} ${handle === null ? 'policy' : `rule handle ${handle}`}`;
    void Promise.resolve(this.opts.ruleFor({ ...where, handle }))
      .catch(() => null)
      .then((ruleId) => {
        if (this.stopped) return;
        this.queue({
          at,
          group: 0,
          ruleId,
          prefix: label.slice(0, 128),
          proto: packet.proto,
          src: packet.src,
          dst: packet.dst,
          sport: packet.sport,
          dport: packet.dport,
          flags: packet.flags,
          source: 'trace',
          verdict,
        });
      });
  }

  private queue(drop: DroppedPacket): void {
    this.pending.push(drop);
    this.flushTimer ??= setTimeout(() => this.flush(), MAX_WAIT_MS);
  }

  /** Hands the drops seen since the last flush to onDrop. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const out = this.pending;
    this.pending = [];
    for (const d of out) this.opts.onDrop(d);
  }

  private unknown(line: string): void {
    this.stats.unknown++;
    if (this.stats.examples.length < MAX_EXAMPLES) this.stats.examples.push(line.slice(0, 300));
  }

  private run(failures: number): void {
    const s = this.opts.spawn('nft', ['-a', 'monitor', 'trace'], {
      onStdout: (l) => this.line(l),
      onStderr: (l) => {
        if (/Operation not permitted|Permission denied/.test(l))
          this.opts.onProblem('nft monitor trace: permission denied; needs root or CAP_NET_ADMIN');
      },
      onExit: (code, error) => {
        if (this.stopped || this.stream !== s) return;
        this.stream = null;
        if (code === 127 || (error !== null && /ENOENT/.test(error))) {
          this.opts.onProblem('nft is not installed: apt-get install nftables');
          return;
        }
        const delay = Math.min(30_000, 1000 * 2 ** Math.min(failures, 5));
        setTimeout(() => !this.stopped && this.run(failures + 1), delay).unref();
      },
    });
    this.stream = s;
  }
}
