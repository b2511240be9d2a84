/**
 * A collector process with the real transport (batcher → on-disk spool → hub client) whose monitor replays a
 * stream of N dropped-packet events (sport 1..N) at a fixed rate: each one is an append row on the hub, so a
 * loss or a duplicate shows. argv: HUB_WS_URL HOST SPOOL_DIR N EVENTS_PER_S; token in FTPSCOPE_TOKEN.
 * Prints `produced N` when it has emitted everything and `drained` once the hub acknowledged it all.
 * With REPLAY_TABLE_FULL=1 it also reports, every 500 ms and in its snapshot, a conntrack table 95% full (the
 * hub raises conntrack-table-full for the host).
 */
import type { CollectorEvent } from '@ftpscope/shared';
import type { HostInfo, HostMonitor } from '../../collector/src/host-monitor.types.ts';
import { createLogger } from '../../collector/src/logger.ts';
import { startHostStream } from '../../collector/src/transport/host-stream.ts';

const [hubUrl = '', host = '', spoolDir = '', nArg = '100', rateArg = '100'] = process.argv.slice(2);
const n = Number(nArg);
const rate = Number(rateArg);

const tableFull = process.env.REPLAY_TABLE_FULL === '1';
const fullHealth = (): CollectorEvent => ({
  kind: 'health',
  health: {
    at: Date.now(),
    conntrackCount: 950,
    conntrackMax: 1000,
    expectCount: 0,
    expectMax: 256,
    stats: { drop: 0, early_drop: 0 },
    acct: true,
    timestamp: false,
    helperRules: [],
  },
});

class ReplayMonitor implements HostMonitor {
  #emit: ((e: CollectorEvent) => void) | null = null;
  async start(emit: (e: CollectorEvent) => void): Promise<HostInfo> {
    this.#emit = emit;
    return { kernel: '6.1.0-replay', backends: ['iptables-nft'], capabilities: ['nflog'], problems: [] };
  }
  push(e: CollectorEvent): void {
    this.#emit?.(e);
  }
  snapshot(): CollectorEvent[] {
    return tableFull ? [fullHealth()] : [];
  }
  async stop(): Promise<void> {}
}

const monitor = new ReplayMonitor();
const stream = await startHostStream({
  host,
  monitor,
  hubUrl,
  token: process.env.FTPSCOPE_TOKEN ?? '',
  collectorVersion: '0.1.0',
  spoolDir,
  log: createLogger('warn'),
  backoff: { baseMs: 100, capMs: 1000 },
});

if (tableFull) setInterval(() => monitor.push(fullHealth()), 500).unref();
const tickMs = 20;
const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
let i = 0;
while (i < n) {
  for (let k = 0; k < perTick && i < n; k++) {
    i++;
    monitor.push({
      kind: 'drop',
      drop: {
        at: Date.now(),
        group: 5,
        ruleId: null,
        prefix: 'replay',
        proto: 'tcp',
        src: '198.18.0.100',
        dst: '198.18.1.1',
        sport: i,
        dport: 30000,
        flags: 'S',
      },
    });
  }
  await new Promise((r) => setTimeout(r, tickMs));
}
process.stdout.write(`produced ${n}\n`);
// Let the batcher's last window (200 ms) reach the spool before watching it drain.
await new Promise((r) => setTimeout(r, 400));
while (stream.spool.unackedCount > 0) await new Promise((r) => setTimeout(r, 50));
process.stdout.write('drained\n');
process.on('SIGTERM', () => void stream.stop(0).then(() => process.exit(0)));
