import { join } from 'node:path';
import type { HostInfo, HostMonitor } from '../host-monitor.types.ts';
import type { Logger } from '../logger.ts';
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
  });
  let client: HubClient | null = null;
  const batcher = new Batcher({
    onBatch: (events) => {
      spool.append(events);
      client?.notify();
    },
    ...(o.flushMs ? { flushMs: o.flushMs } : {}),
  });
  const info = await o.monitor.start(batcher.push);
  const hub = new HubClient({
    url: o.hubUrl,
    token: o.token,
    fingerprint: o.hubFingerprint ?? null,
    host: o.host,
    collectorVersion: o.collectorVersion,
    info,
    spool,
    snapshot: () => o.monitor.snapshot(),
    flushPending: () => batcher.flush(),
    log,
    ...(o.backoff ? { backoff: o.backoff } : {}),
  });
  client = hub;
  hub.start();
  return {
    info,
    spool,
    client: hub,
    async stop(drainMs = 2000) {
      await o.monitor
        .stop()
        .catch((err: Error) => log.warn({ err: err.message }, 'monitor did not stop cleanly'));
      batcher.stop();
      hub.notify();
      if (drainMs > 0) await hub.drain(drainMs);
      await hub.stop();
      log.info({ unacked: spool.unackedCount }, 'stopped; unacknowledged batches stay in the spool');
    },
  };
}
