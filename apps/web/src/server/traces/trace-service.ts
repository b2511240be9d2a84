import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import {
  FtpscopeError,
  TRACE_LIMITS,
  type TraceEnd,
  type TracePcap,
  type TraceRequester,
  type TraceStart,
  type TraceStep,
  type TraceSteps,
  type TraceStop,
} from '@ftpscope/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { HubEvents } from '../ingest/hub-events.ts';
import type { Store, TraceRecord } from '../store/index.ts';
import { toTraceView } from '../views/traces.ts';

/** A message from a collector about a trace. */
export type TraceMessage = TraceSteps | TracePcap | TraceEnd;

/** How the service reaches a host's collector (the connected CollectorSession). */
export interface TraceLink {
  capabilities: readonly string[];
  send(msg: TraceStart | TraceStop): void;
}

/** How long after its duration the hub waits for the collector's trace-end before ending the trace itself. */
const END_GRACE_MS = 15_000;

/** A stored trace no hub is running any more (its hub stopped mid-trace) shows as ended once its time is up. */
function settled(t: TraceRecord, now: number): TraceRecord {
  if (t.endedAt !== null || t.startedAt + t.durationMs + END_GRACE_MS > now) return t;
  return {
    ...t,
    endedAt: t.startedAt + t.durationMs,
    endReason: 'hub-restart',
    error: 'the hub running it stopped',
  };
}

interface Running {
  rec: TraceRecord;
  steps: Map<number, TraceStep>;
  pcap: Buffer[];
  received: number;
  guard: NodeJS.Timeout;
}

/** The canonical text of a client address, or null when it is not exactly one IPv4/IPv6 address. */
export function canonicalClient(text: string): string | null {
  const kind = isIP(text);
  if (kind === 4) return text;
  // No zone ids, no IPv4-mapped forms: the collector's BPF filter and the stored sessions use plain addresses.
  if (kind !== 6 || text.includes('%') || text.includes('.')) return null;
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

/**
 * Runs on-demand traces: checks a request (known host and client, limits, one per host), asks the host's
 * collector over its WebSocket, gathers the steps and pcap it streams, publishes the trace live, stores it when it
 * ends, and audits who asked in the hub log.
 */
export class TraceService {
  readonly #running = new Map<string, Running>();
  readonly #byHost = new Map<string, string>();

  constructor(
    private readonly o: {
      store: Store;
      events: HubEvents;
      log: FastifyBaseLogger;
      now: () => number;
      link: (host: string) => TraceLink | undefined;
    },
  ) {
    o.store.traces
      .interruptRunning(o.now())
      .catch((err: unknown) => o.log.warn({ err }, 'could not mark traces of a stopped hub as over'));
    o.events.on('traceMessage', (host, msg) => this.#onMessage(host, msg));
    o.events.on('host', (host, connected) => {
      if (!connected) this.#endOnHost(host, 'disconnected', "the host's collector disconnected");
    });
  }

  /** Starts a trace of `client` on `host` for `durationSeconds` (default 60); throws a catalogued error if refused. */
  async start(
    host: string,
    client: string,
    durationSeconds: number | undefined,
    who: TraceRequester,
  ): Promise<TraceRecord> {
    const { store, now, log } = this.o;
    if (!(await store.hosts.get(host, now())))
      throw new FtpscopeError('FTPSCOPE_ERR_TRACE_UNKNOWN_HOST', host);
    const ip = canonicalClient(client);
    if (ip === null)
      throw new FtpscopeError('FTPSCOPE_ERR_TRACE_BAD_CLIENT', JSON.stringify(client.slice(0, 80)));
    const durationMs = (durationSeconds ?? TRACE_LIMITS.defaultDurationMs / 1000) * 1000;
    if (durationMs > TRACE_LIMITS.maxDurationMs)
      throw new FtpscopeError('FTPSCOPE_ERR_TRACE_TOO_LONG', `${durationSeconds} s asked`);
    if (!(await store.traces.clientKnown(host, ip)))
      throw new FtpscopeError('FTPSCOPE_ERR_TRACE_UNKNOWN_CLIENT', `${ip} on ${host}`);
    const busy = this.#byHost.get(host);
    if (busy)
      throw new FtpscopeError('FTPSCOPE_ERR_TRACE_BUSY', `trace ${busy} runs until it ends or is stopped`);
    const link = this.o.link(host);
    if (!link) throw new FtpscopeError('FTPSCOPE_ERR_TRACE_HOST_OFFLINE', host);
    if (!link.capabilities.includes('trace')) throw new FtpscopeError('FTPSCOPE_ERR_TRACE_UNSUPPORTED', host);
    const rec: TraceRecord = {
      id: `tr-${randomUUID()}`,
      host,
      client: ip,
      requestedBy: who,
      startedAt: now(),
      endedAt: null,
      durationMs,
      endReason: null,
      error: null,
      packets: 0,
      pcapBytes: 0,
      tls: false,
      steps: [],
    };
    // Claimed before the first await below: a second request for this host is refused, not raced.
    this.#byHost.set(host, rec.id);
    try {
      await store.traces.start(rec);
    } catch (err) {
      this.#byHost.delete(host);
      throw err;
    }
    const guard = setTimeout(
      () => void this.#end(rec.id, 'error', 'the collector did not end the trace in time'),
      durationMs + END_GRACE_MS,
    );
    guard.unref();
    this.#running.set(rec.id, { rec, steps: new Map(), pcap: [], received: 0, guard });
    log.info(
      { audit: 'trace', traceId: rec.id, host, client: ip, durationMs, requestedBy: who },
      'trace started',
    );
    link.send({
      type: 'trace-start',
      traceId: rec.id,
      client: ip,
      durationMs,
      maxPackets: TRACE_LIMITS.maxPackets,
      maxBytes: TRACE_LIMITS.maxBytes,
    });
    this.#publish(rec);
    return rec;
  }

  /** Stops a running trace (the collector still sends what it has); false when it is not running. */
  stop(id: string, who: TraceRequester): boolean {
    const r = this.#running.get(id);
    if (!r) return false;
    this.o.log.info({ audit: 'trace', traceId: id, host: r.rec.host, requestedBy: who }, 'trace stop asked');
    const link = this.o.link(r.rec.host);
    if (link) link.send({ type: 'trace-stop', traceId: id });
    else void this.#end(id, 'disconnected', "the host's collector is not connected");
    return true;
  }

  /** A trace, running or stored; null when unknown. */
  async get(id: string): Promise<TraceRecord | null> {
    const r = this.#running.get(id);
    if (r) return this.#current(r);
    const stored = await this.o.store.traces.get(id);
    return stored && settled(stored, this.o.now());
  }

  /** Traces, newest first, without steps (a running one with its live counts). */
  async list(host: string | null, limit: number): Promise<TraceRecord[]> {
    const stored = await this.o.store.traces.list(host, limit);
    return stored.map((t) => {
      const r = this.#running.get(t.id);
      return r ? { ...r.rec, steps: [] } : settled(t, this.o.now());
    });
  }

  /** The trace running on a host now, if any. */
  runningOn(host: string): string | null {
    return this.#byHost.get(host) ?? null;
  }

  /** Ends every running trace (the hub is closing) and waits until they are stored. */
  async close(): Promise<void> {
    await Promise.all([...this.#running.keys()].map((id) => this.#end(id, 'hub-restart', 'the hub stopped')));
  }

  #current(r: Running): TraceRecord {
    return { ...r.rec, steps: [...r.steps.values()].sort((a, b) => a.n - b.n) };
  }

  #onMessage(host: string, msg: TraceMessage): void {
    const r = this.#running.get(msg.traceId);
    if (!r || r.rec.host !== host) {
      this.o.log.debug(
        { host, traceId: msg.traceId, type: msg.type },
        'message for a trace not running here ignored',
      );
      return;
    }
    if (msg.type === 'trace-steps') {
      for (const s of msg.steps) {
        if (!r.steps.has(s.n) && r.steps.size >= TRACE_LIMITS.maxSteps) break;
        r.steps.set(s.n, masked(s));
      }
      this.#publish(this.#current(r));
    } else if (msg.type === 'trace-pcap') {
      const data = Buffer.from(msg.data, 'base64');
      if (msg.offset !== r.received || r.received + data.length > TRACE_LIMITS.maxBytes + 64 * 1024) {
        this.o.log.warn(
          { host, traceId: msg.traceId, offset: msg.offset },
          'trace pcap out of order or too large; stopping',
        );
        this.o.link(host)?.send({ type: 'trace-stop', traceId: msg.traceId });
        return;
      }
      r.pcap.push(data);
      r.received += data.length;
      r.rec.pcapBytes = r.received;
    } else {
      r.rec.packets = msg.packets;
      r.rec.tls = msg.tls;
      void this.#end(msg.traceId, msg.reason, msg.error);
    }
  }

  #endOnHost(host: string, reason: 'disconnected', error: string): void {
    const id = this.#byHost.get(host);
    if (id && this.#running.has(id)) void this.#end(id, reason, error);
  }

  async #end(id: string, reason: TraceEnd['reason'], error: string | null): Promise<void> {
    const r = this.#running.get(id);
    if (!r) return;
    clearTimeout(r.guard);
    this.#running.delete(id);
    if (this.#byHost.get(r.rec.host) === id) this.#byHost.delete(r.rec.host);
    const rec: TraceRecord = { ...this.#current(r), endedAt: this.o.now(), endReason: reason, error };
    try {
      await this.o.store.traces.finish(rec, Buffer.concat(r.pcap));
    } catch (err) {
      this.o.log.error({ traceId: id, err }, 'storing a finished trace failed');
    }
    this.o.log.info(
      {
        audit: 'trace',
        traceId: id,
        host: rec.host,
        reason,
        error,
        packets: rec.packets,
        pcapBytes: rec.pcapBytes,
      },
      'trace ended',
    );
    this.#publish(rec);
  }

  #publish(rec: TraceRecord): void {
    this.o.events.emit('trace', rec.host, toTraceView(rec));
  }
}

/** Secret arguments masked again on the hub: the collector masks them, this keeps an old or odd one honest. */
function masked(s: TraceStep): TraceStep {
  if (s.kind === 'command' && (s.verb === 'PASS' || s.verb === 'ACCT'))
    return { ...s, text: `${s.verb} ****` };
  return s;
}
