import type { DroppedPacket } from '@ftpscope/shared';
import type { LineStream, SpawnLines } from '../exec.ts';
import { MAX_EXAMPLES } from './parse-result.ts';
import { isTcpdumpNoise, parseNflogLine } from './tcpdump-nflog-parse.ts';

export interface NflogOptions {
  spawn: SpawnLines;
  groups: number[];
  /** The rule that logs to a group (id and prefix), looked up when a packet arrives. */
  ruleFor(group: number): { ruleId: string; prefix: string | null } | null;
  onDrop(drop: DroppedPacket): void;
  onProblem(message: string): void;
}

/** Reads packets logged to NFLOG groups with `tcpdump -i nflog:N -nn -l -tt`, one process per group. */
export class NflogSource {
  private streams = new Map<number, LineStream>();
  private stopped = false;
  /** Groups whose tcpdump said it is listening (attached to the kernel's log group). */
  private readonly listening = new Set<number>();
  readonly stats = { unknown: 0, examples: [] as string[] };

  constructor(private readonly opts: NflogOptions) {}

  start(): void {
    this.stopped = false;
    for (const g of this.opts.groups) this.startGroup(g, 0);
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.streams.values()) s.stop();
    this.streams.clear();
    this.listening.clear();
  }

  /**
   * Resolves once every group's tcpdump is attached (or has failed), or after timeoutMs: packets logged before
   * that are not seen, so the `nflog` capability is only claimed once it is true.
   */
  async whenListening(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const settled = () => this.opts.groups.every((g) => this.listening.has(g) || !this.streams.has(g));
    while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.opts.groups.every((g) => this.listening.has(g));
  }

  private startGroup(group: number, failures: number): void {
    const s = this.opts.spawn('tcpdump', ['-i', `nflog:${group}`, '-nn', '-l', '-tt'], {
      onStdout: (line) => {
        const p = parseNflogLine(line);
        if (!p) {
          if (!isTcpdumpNoise(line) && line.trim() !== '') {
            this.stats.unknown++;
            if (this.stats.examples.length < MAX_EXAMPLES) this.stats.examples.push(line.slice(0, 300));
          }
          return;
        }
        const rule = this.opts.ruleFor(group);
        this.opts.onDrop({
          at: p.at,
          group,
          ruleId: rule?.ruleId ?? null,
          prefix: rule?.prefix?.slice(0, 128) ?? null,
          proto: p.proto,
          src: p.src,
          dst: p.dst,
          sport: p.sport,
          dport: p.dport,
          flags: p.flags,
          source: 'nflog',
        });
      },
      onStderr: (line) => {
        if (line.startsWith(`listening on nflog:${group}`)) this.listening.add(group);
        if (/Operation not permitted|Permission denied/.test(line))
          this.opts.onProblem(
            `tcpdump nflog:${group}: permission denied; needs root or CAP_NET_ADMIN and CAP_NET_RAW`,
          );
      },
      onExit: (code, error) => {
        if (this.stopped || this.streams.get(group) !== s) return;
        this.streams.delete(group);
        this.listening.delete(group);
        if (code === 127 || (error !== null && /ENOENT/.test(error))) {
          this.opts.onProblem('tcpdump is not installed: apt-get install tcpdump');
          return;
        }
        const delay = Math.min(30_000, 1000 * 2 ** Math.min(failures, 5));
        setTimeout(() => !this.stopped && this.startGroup(group, failures + 1), delay).unref();
      },
    });
    this.streams.set(group, s);
  }
}
