import {
  TRACE_LIMITS,
  type TraceEnd,
  type TraceEndReason,
  type TracePcap,
  type TraceRule,
  type TraceStart,
  type TraceSteps,
} from '@ftpscope/shared';
import type { LineStream, SpawnBytes } from '../exec.ts';
import type { UnansweredSyn } from './drop-attribution.ts';
import { decodePacket } from './packet-decode.ts';
import { PcapReader, pcapFileHeader, pcapRecordBytes } from './pcap.ts';
import { TraceAnalyzer } from './trace-analyzer.ts';

/** What one trace sends to the hub. */
export type TraceMessage = TraceSteps | TracePcap | TraceEnd;

/** Everything one capture needs; spawn is already wrapped for the host's namespace. */
export interface TraceCaptureOptions {
  request: TraceStart;
  ftpPorts: number[];
  passiveRange: () => [number, number] | null;
  attribute(syn: UnansweredSyn): TraceRule | null;
  spawn: SpawnBytes;
  send(msg: TraceMessage): void;
  now: () => number;
  /** Called once after trace-end was sent. */
  onEnd(reason: TraceEndReason): void;
  /** How often steps are sent and SYN fates settled (ms). */
  tickMs?: number;
}

/** Bytes tcpdump keeps of each packet: FTP control segments fit; data payloads are cut anyway. */
const SNAP_LEN = 2048;

/** tcpdump's argv: every packet of the client (TCP and ICMP), as pcap on stdout, unbuffered. */
export function tcpdumpArgs(client: string, maxPackets: number): string[] {
  // -c bounds what tcpdump itself reads, packets of the client we leave out included (e.g. its ssh session).
  const hardCap = String(Math.min(maxPackets * 10, 1_000_000));
  return [
    '-i',
    'any',
    '-nn',
    '-U',
    '-s',
    String(SNAP_LEN),
    '-c',
    hardCap,
    '-w',
    '-',
    'host',
    client,
    'and',
    '(',
    'tcp',
    'or',
    'icmp',
    'or',
    'icmp6',
    ')',
  ];
}

/**
 * One running trace: tcpdump for the client, the analyzer, the masked pcap, the limits (time, packets,
 * bytes). Sends steps as they settle and the pcap in chunks, then trace-end exactly once.
 */
export class TraceCapture {
  readonly #o: TraceCaptureOptions;
  readonly #reader = new PcapReader();
  readonly analyzer: TraceAnalyzer;
  #proc: LineStream | null = null;
  #pcap: Buffer[] = [];
  #pending = 0;
  #sentBytes = 0;
  #pcapBytes = 0;
  packets = 0;
  #ended = false;
  #timer: NodeJS.Timeout | null = null;
  #deadline: NodeJS.Timeout | null = null;
  #stderr: string[] = [];

  constructor(o: TraceCaptureOptions) {
    this.#o = o;
    this.analyzer = new TraceAnalyzer({
      client: o.request.client,
      ftpPorts: o.ftpPorts,
      passiveRange: o.passiveRange,
      attribute: (s) => o.attribute(s),
      maxSteps: TRACE_LIMITS.maxSteps,
    });
  }

  get traceId(): string {
    return this.#o.request.traceId;
  }

  /** Starts tcpdump and the timers. */
  start(): void {
    const r = this.#o.request;
    this.#proc = this.#o.spawn('tcpdump', tcpdumpArgs(r.client, r.maxPackets), {
      onData: (chunk) => this.#onData(chunk),
      onStderr: (line) => this.#onStderr(line),
      onExit: (code, error) => this.#onExit(code, error),
    });
    this.#timer = setInterval(() => this.#tick(), this.#o.tickMs ?? 250);
    this.#deadline = setTimeout(() => this.end('duration'), r.durationMs);
  }

  #onStderr(line: string): void {
    if (this.#stderr.length < 20) this.#stderr.push(line);
    const m = /^tcpdump: listening on (\S+), link-type (\S+)/.exec(line);
    if (m) {
      const r = this.#o.request;
      this.analyzer.add({
        at: this.#o.now(),
        kind: 'note',
        level: 'info',
        text: `capturing ${r.client}'s FTP packets on this host for ${Math.round(r.durationMs / 1000)} s (at most ${r.maxPackets} packets, ${Math.round(r.maxBytes / 1024)} KiB)`,
      });
    }
  }

  #onExit(code: number | null, error: string | null): void {
    this.#proc = null;
    if (this.#ended) return;
    const why = error ?? this.#stderr.filter((l) => !/^tcpdump: (listening|data link)/.test(l)).join('; ');
    if (code === 127 || /ENOENT/.test(error ?? ''))
      this.end('error', 'tcpdump is not installed on the host: apt-get install tcpdump');
    else if (/permission|not permitted/i.test(why))
      this.end('error', `tcpdump: permission denied; the collector needs CAP_NET_RAW (${why.slice(0, 200)})`);
    else
      this.end(
        'error',
        `tcpdump exited (${code ?? 'signal'}) before the trace ended: ${why.slice(0, 300) || 'no message'}`,
      );
  }

  #onData(chunk: Buffer): void {
    if (this.#ended) return;
    let records: ReturnType<PcapReader['push']>;
    try {
      records = this.#reader.push(chunk);
    } catch (err) {
      this.end('error', (err as Error).message);
      return;
    }
    const header = this.#reader.header;
    if (!header) return;
    if (this.#pcapBytes === 0)
      this.#keep(pcapFileHeader({ linkType: header.linkType, snapLen: header.snapLen }));
    for (const rec of records) {
      const p = decodePacket(header.linkType, rec.tsUs, rec.data);
      if (!p) continue;
      const kept = this.analyzer.packet(p, rec.data);
      if (!kept) continue;
      this.packets++;
      this.#keep(pcapRecordBytes({ tsUs: rec.tsUs, data: kept, origLen: rec.origLen }));
      const r = this.#o.request;
      if (this.packets >= r.maxPackets || this.#pcapBytes >= r.maxBytes) {
        this.end(this.packets >= r.maxPackets ? 'packets' : 'bytes');
        return;
      }
    }
  }

  #keep(b: Buffer): void {
    this.#pcap.push(b);
    this.#pending += b.length;
    this.#pcapBytes += b.length;
  }

  #tick(final = false): void {
    this.analyzer.tick(this.#o.now(), final);
    const steps = this.analyzer.takeChanged();
    for (let i = 0; i < steps.length; i += 200)
      this.#o.send({ type: 'trace-steps', traceId: this.traceId, steps: steps.slice(i, i + 200) });
    if (final || this.#pending >= TRACE_LIMITS.pcapChunkBytes) this.#flushPcap();
  }

  #flushPcap(): void {
    const all = Buffer.concat(this.#pcap);
    this.#pcap = [];
    this.#pending = 0;
    for (let i = 0; i < all.length; i += TRACE_LIMITS.pcapChunkBytes) {
      const data = all.subarray(i, i + TRACE_LIMITS.pcapChunkBytes);
      this.#o.send({
        type: 'trace-pcap',
        traceId: this.traceId,
        offset: this.#sentBytes,
        data: data.toString('base64'),
      });
      this.#sentBytes += data.length;
    }
  }

  /** Ends the trace (idempotent): stops tcpdump, settles every SYN, sends the rest and trace-end. */
  end(reason: TraceEndReason, error: string | null = null): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#deadline) clearTimeout(this.#deadline);
    this.#proc?.stop();
    const limit = { packets: 'packet', bytes: 'size' } as Record<string, string>;
    if (limit[reason])
      this.analyzer.add({
        at: this.#o.now(),
        kind: 'note',
        level: 'warning',
        text: `trace stopped at its ${limit[reason]} limit`,
      });
    if (error)
      this.analyzer.add({ at: this.#o.now(), kind: 'note', level: 'error', text: error.slice(0, 1000) });
    this.#tick(true);
    this.#o.send({
      type: 'trace-end',
      traceId: this.traceId,
      reason,
      error: error?.slice(0, 512) ?? null,
      packets: this.packets,
      pcapBytes: this.#sentBytes,
      tls: this.analyzer.tls,
    });
    this.#o.onEnd(reason);
  }
}
