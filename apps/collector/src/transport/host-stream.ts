import { join } from 'node:path';
import type { SpawnBytes } from '../exec.ts';
import type { HostInfo, HostMonitor } from '../host-monitor.types.ts';
import type { Logger } from '../logger.ts';
import { afterBurst } from '../memory.ts';
import { Tracer } from '../trace/tracer.ts';
import type { BackoffOptions } from './backoff.ts';
import { Batcher } from './batcher.ts';
import { HubClient } from './hub-client.ts';
import { Spool } from './spool.ts';

export interface HostStreamOptions {
  host: string;
  monitor: HostMonitor;
  hubUrl: string;
  token: string;
  /** Pinned key of the hub's certificate (see HubClientOptions.fingerprint). */
  hubFingerprint?: string | null;
  collectorVersion: string;
  /** Parent spool directory; this host spools into `<spoolDir>/<host>`. */
  spoolDir: string;
  spoolMaxBytes?: number;
  log: Logger;
  backoff?: BackoffOptions;
  flushMs?: number;
  /** On-demand traces for the hub (capability `trace`): tcpdump spawner for the host's namespace, FTP ports. */
  trace?: { spawn: SpawnBytes; ftpPorts: number[]; now?: () => number };
}

/** One watched host wired end to end: monitor → batcher → spool → hub client. */
export interface HostStream {
  readonly info: HostInfo;
  readonly spool: Spool;
  readonly client: HubClient;
  /** Stops the monitor, spools what is left, gives the hub a moment to ack it, then disconnects. */
  stop(drainMs?: number): Promise<void>;
}

/** Starts the monitor (events are spooled from the first one on) and connects to the hub. */
export async function startHostStream(o: HostStreamOptions): Promise<HostStream> {
  const log = o.log.child({ host: o.host });
  const spool = Spool.open({
    dir: join(o.spoolDir, o.host),
    log,
    ...(o.spoolMaxBytes ? { maxBytes: o.spoolMaxBytes } : {}),
    onDrained: (bytes) => {
      if (afterBurst(bytes)) log.debug({ bytes }, 'a burst of batches was delivered: its memory given back');
    },
  });
  let client: HubClient | null = null;
  const batcher = new Batcher({
    onBatch: (events) => {
      spool.append(events);
      client?.notify();
    },
    ...(o.flushMs ? { flushMs: o.flushMs } : {}),
  });
  const tracer = o.trace
    ? new Tracer({
        host: o.host,
        ftpPorts: o.trace.ftpPorts,
        spawn: o.trace.spawn,
        now: o.trace.now ?? Date.now,
        log: (level, obj, msg) => log[level](obj, msg),
      })
    : null;
  const info = await o.monitor.start((e, urgent) => {
    batcher.push(e, urgent);
    tracer?.observe(e);
  });
  const hub = new HubClient({
    url: o.hubUrl,
    token: o.token,
    fingerprint: o.hubFingerprint ?? null,
    host: o.host,
    collectorVersion: o.collectorVersion,
    info: tracer ? { ...info, capabilities: [...info.capabilities, 'trace'] } : info,
    spool,
    snapshot: () => o.monitor.snapshot(),
    flushPending: () => batcher.flush(),
    log,
    ...(o.backoff ? { backoff: o.backoff } : {}),
    ...(tracer && {
      onTrace: (msg) => tracer.handle(msg, (m) => hub.sendLive(m)),
      onDisconnect: () => tracer.stop('disconnected'),
    }),
  });
  client = hub;
  hub.start();
  return {
    info,
    spool,
    client: hub,
    async stop(drainMs = 2000) {
      tracer?.stop('stopped');
      await o.monitor
        .stop()
        .catch((err: Error) => log.warn({ err: err.message }, 'monitor did not stop cleanly'));
      batcher.stop();
      hub.notify();
      if (drainMs > 0) await hub.drain(drainMs);
      await hub.stop();
      spool.close();
      log.info({ unacked: spool.unackedCount }, 'stopped; unacknowledged batches stay in the spool');
    },
  };
}
