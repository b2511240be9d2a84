import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { buildInfo, versionLine } from '@ftpscope/shared/build-info';
import { type Config, ConfigError, type HostSpec, parseConfig } from './config.ts';
import { realExec, realSpawnBytes, spawnBytesWithNetns } from './exec.ts';
import { createHostMonitor } from './host-monitor.ts';
import type { HostMonitor, HostMonitorOptions } from './host-monitor.types.ts';
import { createLogger, type Logger } from './logger.ts';
import { formatSummary, type OnceHost, onceHost } from './once.ts';
import { type CtReaderChoice, locateCtReader } from './sources/ctreader-locate.ts';
import { type HostStream, startHostStream } from './transport/host-stream.ts';

/** How long `--once` waits for a host's first complete snapshot. */
const ONCE_TIMEOUT_MS = 30_000;
/** How long a graceful shutdown waits for the hub to ack what is left. */
const SHUTDOWN_DRAIN_MS = 2_000;

/** The monitor factory (createHostMonitor; tests pass a double of the HostMonitor interface). */
type CreateHostMonitor = (opts: HostMonitorOptions) => HostMonitor;

function monitorOptions(
  config: Config,
  host: HostSpec,
  log: Logger,
  ctreader: CtReaderChoice,
): HostMonitorOptions {
  const hostLog = log.child({ host: host.name });
  return {
    name: host.name,
    netns: host.netns,
    intervalMs: config.intervalMs,
    ftpPorts: config.ftpPorts,
    nflogGroups: config.nflogGroups,
    vsftpdConf: null,
    ftpServer: config.ftpServer,
    ftpConf: config.ftpConf,
    ftpLog: config.ftpLog,
    eventBufferBytes: config.eventBufferBytes,
    observe: config.observe,
    managerPid: host.managerPid ?? null,
    ctreader,
    exec: realExec,
    // The monitor logs each problem once (naming the package or privilege that fixes it).
    log: (level, msg) => hostLog[level](msg),
    now: Date.now,
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    p.then(resolve, reject).finally(() => clearTimeout(t));
  });
}

/** `--once`: one complete snapshot per host on stdout, problems on stderr, exit 0. */
export async function runOnce(config: Config, create: CreateHostMonitor, log: Logger): Promise<OnceHost[]> {
  const ctreader = await locateCtReader(config.ctreader);
  return Promise.all(
    config.hosts.map(async (host) => {
      const monitor = create(monitorOptions(config, host, log, ctreader));
      try {
        const info = await withTimeout(
          monitor.start(() => {}),
          ONCE_TIMEOUT_MS,
          `host ${host.name}: first snapshot`,
        );
        return onceHost(host.name, host.netns, info, monitor.snapshot());
      } catch (err) {
        const msg = (err as Error).message;
        log.error({ host: host.name, err: msg }, 'could not take a snapshot of this host');
        return onceHost(host.name, host.netns, null, [], [msg]);
      } finally {
        await monitor.stop().catch(() => {});
      }
    }),
  );
}

/** Streams every host to the hub until SIGINT/SIGTERM, then spools what is left and exits. */
async function runForever(
  config: Config,
  create: CreateHostMonitor,
  log: Logger,
  version: string,
): Promise<void> {
  const streams: HostStream[] = [];
  /** Monitors still starting: a signal then must stop them too, or their conntrack/tcpdump would linger. */
  const starting = new Set<HostMonitor>();
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'stopping: flushing batches to the spool');
    await Promise.all([
      ...streams.map((s) => s.stop(SHUTDOWN_DRAIN_MS)),
      ...[...starting].map((m) => m.stop().catch(() => {})),
    ]);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const ctreader = await locateCtReader(config.ctreader);
  const started = await Promise.all(
    config.hosts.map(async (host) => {
      const monitor = create(monitorOptions(config, host, log, ctreader));
      starting.add(monitor);
      try {
        const stream = await startHostStream({
          host: host.name,
          monitor,
          hubUrl: config.hub as string,
          token: config.token as string,
          hubFingerprint: config.hubFingerprint,
          collectorVersion: version,
          spoolDir: config.spoolDir,
          spoolMaxBytes: config.spoolMaxBytes,
          log,
          trace: { spawn: spawnBytesWithNetns(realSpawnBytes, host.netns), ftpPorts: config.ftpPorts },
        });
        log.info({ host: host.name, netns: host.netns, ...stream.info }, 'watching host');
        streams.push(stream);
        return true;
      } catch (err) {
        log.error({ host: host.name, err: (err as Error).message }, 'could not start watching this host');
        await monitor.stop().catch(() => {});
        return false;
      } finally {
        starting.delete(monitor);
      }
    }),
  );
  if (!started.includes(true)) {
    log.fatal('no host could be watched; see the errors above');
    process.exit(1);
  }
}

/** CLI entry: parse flags/env, then `--once` or stream to the hub. */
export async function main(argv: string[]): Promise<void> {
  const build = buildInfo(new URL('../package.json', import.meta.url));
  const version = build.version;
  let config: Config;
  try {
    config = parseConfig(argv, { version: versionLine(build) });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (err.message) process.stderr.write(`ftpscope-collector: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  const log = createLogger(config.logLevel);
  process.on('unhandledRejection', (err) =>
    log.error({ err: String(err) }, 'unhandled rejection (kept running)'),
  );
  if (config.tokenSource === 'cli') {
    log.warn('the token was given with --token and is visible in ps; prefer FTPSCOPE_TOKEN or --token-file');
  }
  if (config.once) {
    const hosts = await runOnce(config, createHostMonitor, log);
    const text = config.json ? `${JSON.stringify({ hosts })}\n` : formatSummary(hosts);
    process.stdout.write(text, () => process.exit(0));
    return;
  }
  await runForever(config, createHostMonitor, log, version);
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  void main(process.argv.slice(2));
}
