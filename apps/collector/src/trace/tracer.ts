import { isIP } from 'node:net';
import { type CollectorEvent, TRACE_LIMITS, type TraceStart, type TraceStop } from '@ftpscope/shared';
import type { SpawnBytes } from '../exec.ts';
import { DropEvidence } from './drop-attribution.ts';
import { TraceCapture, type TraceMessage } from './trace-capture.ts';

/** What a host's tracer needs. */
export interface TracerOptions {
  host: string;
  ftpPorts: number[];
  /** Already wrapped for the host's namespace. */
  spawn: SpawnBytes;
  now: () => number;
  log: (level: 'info' | 'warn', obj: Record<string, unknown>, msg: string) => void;
}

/**
 * On-demand traces of one host, at most one at a time, started and stopped by the hub. Watches the monitor's
 * events (rules, counters, drops, FTP settings) so an unanswered SYN can be tied to the rule that dropped it.
 */
export class Tracer {
  readonly #o: TracerOptions;
  readonly #evidence = new DropEvidence();
  #passiveRange: [number, number] | null = null;
  #current: TraceCapture | null = null;

  constructor(o: TracerOptions) {
    this.#o = o;
  }

  /** Takes one of the monitor's events. */
  observe(e: CollectorEvent): void {
    this.#evidence.observe(e);
    if (e.kind === 'settings') {
      const { pasvMinPort: lo, pasvMaxPort: hi } = e.settings;
      this.#passiveRange = lo !== null && hi !== null ? [lo, hi] : null;
    }
  }

  /** The running trace's id, if any. */
  get running(): string | null {
    return this.#current?.traceId ?? null;
  }

  /** Handles the hub's trace-start / trace-stop; `send` carries the answers (not spooled: a trace is live). */
  handle(msg: TraceStart | TraceStop, send: (m: TraceMessage) => void): void {
    if (msg.type === 'trace-stop') {
      if (this.#current?.traceId === msg.traceId) this.#current.end('stopped');
      return;
    }
    const refuse = (error: string) =>
      send({
        type: 'trace-end',
        traceId: msg.traceId,
        reason: 'error',
        error,
        packets: 0,
        pcapBytes: 0,
        tls: false,
      });
    // The hub checked all this already; a collector re-checks what reaches tcpdump's argv.
    if (this.#current) {
      refuse(`a trace (${this.#current.traceId}) is already running on this host`);
      return;
    }
    if (isIP(msg.client) === 0) {
      refuse('client is not an IP address');
      return;
    }
    const bounded = {
      ...msg,
      durationMs: Math.min(msg.durationMs, TRACE_LIMITS.maxDurationMs),
      maxPackets: Math.min(msg.maxPackets, TRACE_LIMITS.maxPackets),
      maxBytes: Math.min(msg.maxBytes, TRACE_LIMITS.maxBytes),
    };
    const capture = new TraceCapture({
      request: bounded,
      ftpPorts: this.#o.ftpPorts,
      passiveRange: () => this.#passiveRange,
      attribute: (syn) => this.#evidence.attribute(syn),
      spawn: this.#o.spawn,
      send,
      now: this.#o.now,
      onEnd: (reason) => {
        if (this.#current === capture) this.#current = null;
        this.#o.log('info', { traceId: msg.traceId, reason, packets: capture.packets }, 'trace ended');
      },
    });
    this.#current = capture;
    this.#o.log(
      'info',
      { traceId: msg.traceId, client: msg.client, durationMs: bounded.durationMs },
      'trace started',
    );
    capture.start();
  }

  /** Ends the running trace (the hub connection closed, or the collector stops). */
  stop(reason: 'disconnected' | 'stopped'): void {
    this.#current?.end(reason);
  }
}
