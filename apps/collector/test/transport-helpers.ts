import { Writable } from 'node:stream';
import type { CollectorEvent, FtpSession } from '@ftpscope/shared';
import type { HostInfo, HostMonitor } from '../src/host-monitor.types.ts';
import { createLogger, type Logger } from '../src/logger.ts';

/** A logger whose JSON lines land in `lines`, so tests can assert what was logged. */
export function captureLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const dest = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: createLogger('debug', dest), lines };
}

/** A well-formed session event (protocol shape) for transport tests. */
export function sessionEvent(
  id: string,
  state = 'ESTABLISHED',
  startedAt = 1_700_000_000_000,
): CollectorEvent {
  const session: FtpSession = {
    id,
    family: 'ipv4',
    client: { ip: '198.18.0.2', port: 40000 },
    server: { ip: '198.18.0.1', port: 21 },
    state,
    helper: 'ftp',
    user: null,
    mode: 'passive',
    tls: false,
    startedAt,
    endedAt: null,
  };
  return { kind: 'session', session };
}

/** A well-formed counters event (an append, never coalesced). */
export function countersEvent(at: number, dPackets = 1): CollectorEvent {
  return {
    kind: 'counters',
    at,
    intervalMs: 1000,
    counters: [
      { ruleId: 'filter/INPUT/policy', packets: at, bytes: at * 60, dPackets, dBytes: dPackets * 60 },
    ],
  };
}

/**
 * Test double of OUR HostMonitor interface (not of the kernel): emits whatever the test pushes and
 * reports a snapshot of sessions it was told about.
 */
export class TestHostMonitor implements HostMonitor {
  emit: ((e: CollectorEvent) => void) | null = null;
  readonly sessions = new Map<string, CollectorEvent>();
  stopped = false;

  constructor(
    readonly info: HostInfo = {
      kernel: '6.1.0-test',
      backends: ['iptables-nft'],
      capabilities: ['conntrack-events'],
      problems: [],
    },
  ) {}

  async start(emit: (event: CollectorEvent) => void): Promise<HostInfo> {
    this.emit = emit;
    return this.info;
  }

  /** Emits an event as a real source would. */
  push(e: CollectorEvent): void {
    if (e.kind === 'session') this.sessions.set(e.session.id, e);
    this.emit?.(e);
  }

  snapshot(): CollectorEvent[] {
    return [...this.sessions.values(), { kind: 'sync', at: 1, activeSessionIds: [...this.sessions.keys()] }];
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}
