import { readdir, readFile, stat } from 'node:fs/promises';
import type { FtpServerKind, FtpServerSettings } from '@ftpscope/shared';
import type { Exec } from '../host-monitor.types.ts';
import type { SessionStart } from '../model/log-attach.ts';
import { LogFollower } from '../sources/log-follower.ts';
import { findListeningProcess, type ListeningProcess, stillRunning } from './detect.ts';
import type { FtpLogRecord, LogLineParser } from './log-record.ts';
import { RECOMMENDED_LOG_FORMAT } from './proftpd/index.ts';
import { extendedLogParser } from './proftpd/log-parse.ts';
import { parsePureFtpdSyslog } from './pure-ftpd/log-parse.ts';
import { driverForBinary, FTP_SERVERS } from './registry.ts';
import type { ConfigIo, FtpServerDriver, LogSpec, ServerConfig, ServerInvocation } from './types.ts';
import { parseFtpLogLine } from './vsftpd/log-parse.ts';

/** How often the server is looked for again (a restart after a config change gives a new pid and settings). */
const RECHECK_MS = 10_000;
/**
 * While the process found listening still runs, a recheck trusts it instead of running `ss -p` (which walks
 * every process's file descriptors: per run the costliest tool the collector runs), at most this long.
 */
const LISTENER_TRUST_MS = 5 * 60_000;

const fsIo: ConfigIo = { readFile: (p) => readFile(p, 'utf8'), readdir: (p) => readdir(p) };

export interface FtpServerSourceOptions {
  /** Runs tools in the host's namespace (ss). */
  exec: Exec;
  ports: number[];
  /** `auto`: whichever server listens on the first control port. */
  server: FtpServerKind | 'auto';
  /** Config file (or Pure-FTPd conf directory) given by flag; null = from the process or the usual paths. */
  conf: string | null;
  /** Log given by flag; null = the first log the config names that exists. */
  log: string | null;
  io?: ConfigIo;
  onSettings(settings: FtpServerSettings): void;
  onRecords(records: FtpLogRecord[], start: SessionStart): void;
  countUnknown(source: string, n: number, examples: string[]): void;
  problem(message: string): void;
  now(): number;
  recheckMs?: number;
}

interface Resolved {
  driver: FtpServerDriver;
  inv: ServerInvocation;
  pid: number | null;
}

/**
 * The FTP server of one host: finds which one listens on the control port (the listening socket's
 * process) or takes the one the flags name, reads its configuration and follows its log, and looks
 * again every RECHECK_MS. A missing or unreadable file is a problem with what to do, never a crash.
 */
export class FtpServerSource {
  settings: FtpServerSettings | null = null;
  /** The log being followed, if any. */
  following: string | null = null;
  private follower: LogFollower | null = null;
  private signature = '';
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly io: ConfigIo;
  /** The process found listening by `ss`, and when. */
  private listener: { proc: ListeningProcess; at: number } | null = null;

  constructor(private readonly opts: FtpServerSourceOptions) {
    this.io = opts.io ?? fsIo;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.refresh();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.follower?.stop();
    this.follower = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.refresh()
        .catch((e) => this.opts.problem(`ftp server: recheck failed: ${(e as Error).message}`))
        .finally(() => this.schedule());
    }, this.opts.recheckMs ?? RECHECK_MS);
    this.timer.unref();
  }

  /** Finds the server and, when it or its config changed, reloads settings and the log. */
  private async refresh(): Promise<void> {
    const r = await this.resolve();
    if (!r) return;
    const mtime = r.inv.configPath
      ? await stat(r.inv.configPath).then(
          (s) => s.mtimeMs,
          () => 0,
        )
      : 0;
    const sig = `${r.driver.kind}|${r.pid}|${r.inv.configPath}|${r.inv.argv.join(' ')}|${mtime}`;
    if (sig === this.signature) return;
    this.signature = sig;
    let cfg: ServerConfig | null = null;
    if (r.inv.configPath === null && !r.driver.settingsInArgv?.(r.inv.argv)) {
      this.opts.problem(
        `${r.driver.kind} listens on the control port (pid ${r.pid}), but its command line names no config and none is at ${r.driver.defaultConfigs.join(', ')}; name it with --ftp-conf`,
      );
    } else {
      try {
        cfg = await r.driver.load(r.inv, this.io);
      } catch (e) {
        this.opts.problem(
          `cannot read ${r.driver.kind} config ${r.inv.configPath}: ${(e as Error).message}; give the collector read access to it or name it with --ftp-conf`,
        );
      }
    }
    if (cfg) {
      for (const p of cfg.problems) this.opts.problem(p);
      this.opts.countUnknown(`${r.driver.kind}-conf`, cfg.unknown, cfg.examples);
    }
    // Without a config only a log named by flag can be followed (the config problem says the rest).
    if (cfg || this.opts.log) await this.follow(cfg?.logs ?? [], r.driver);
    if (cfg) {
      const settings = { ...cfg.settings, logPath: this.following };
      if (JSON.stringify(settings) !== JSON.stringify(this.settings)) {
        this.settings = settings;
        this.opts.onSettings(settings);
      }
    }
  }

  private async resolve(): Promise<Resolved | null> {
    const { server, conf, ports } = this.opts;
    const fixed = server === 'auto' ? null : FTP_SERVERS[server];
    const found = await this.findListener(ports);
    const proc = found.found;
    const byProcess = proc ? (driverForBinary(proc.exe) ?? driverForBinary(proc.argv[0] ?? '')) : null;
    const driver = fixed ?? byProcess;
    if (driver && proc && byProcess === driver) {
      const fromArgv = driver.configFromArgv(proc.argv);
      const flags = driver.settingsInArgv?.(proc.argv) === true;
      return {
        driver,
        pid: proc.pid,
        inv: {
          configPath: conf ?? fromArgv ?? (flags ? null : await this.firstExisting(driver.defaultConfigs)),
          argv: proc.argv,
          source: conf ? 'flag' : fromArgv || flags ? 'process' : 'path',
        },
      };
    }
    if (proc && !byProcess && !fixed)
      this.opts.problem(
        `the process listening on port ${proc.port} (${proc.exe}) is not an FTP server ftpscope reads (vsftpd, proftpd, pure-ftpd); name it with --ftp-server and --ftp-conf`,
      );
    for (const d of driver ? [driver] : Object.values(FTP_SERVERS)) {
      const path = conf ?? (await this.firstExisting(d.defaultConfigs));
      if (path)
        return { driver: d, pid: null, inv: { configPath: path, argv: [], source: conf ? 'flag' : 'path' } };
    }
    this.opts.problem(
      `no FTP server found: ${found.why ?? 'no process listens on the control port'}, and no vsftpd, proftpd or pure-ftpd config at the usual paths; pass --ftp-server and --ftp-conf (settings and the server log are needed for data-channel outcomes)`,
    );
    return null;
  }

  /** The process listening on the control port: the one found before while it still runs, else `ss`'s answer. */
  private async findListener(
    ports: number[],
  ): Promise<{ found: ListeningProcess | null; why: string | null }> {
    const now = this.opts.now();
    const last = this.listener;
    if (last && now - last.at < LISTENER_TRUST_MS && (await stillRunning(last.proc)))
      return { found: last.proc, why: null };
    const found = await findListeningProcess(this.opts.exec, ports).catch(() => ({ found: null, why: null }));
    this.listener = found.found ? { proc: found.found, at: now } : null;
    return found;
  }

  private async firstExisting(paths: string[]): Promise<string | null> {
    for (const p of paths) if (await exists(p)) return p;
    return null;
  }

  /** Follows the flag's log, or the first log of the config that exists (or the first, until it appears). */
  private async follow(logs: LogSpec[], driver: FtpServerDriver): Promise<void> {
    let path: string | null = this.opts.log;
    let parse: LogLineParser;
    let start: SessionStart = 'connect';
    if (path) {
      const specs = logs.length > 0 ? logs : [];
      const own = specs.find((l) => l.path === path);
      parse = own?.parse ?? anyOf(specs);
      if (own?.format === 'ExtendedLog') start = 'pid';
      if (!own && specs.some((l) => l.format === 'ExtendedLog')) start = 'pid';
    } else {
      let spec: LogSpec | undefined;
      for (const l of logs) if (!spec && (await exists(l.path))) spec = l;
      // A server creates its log with the first session: follow the first one named until it appears.
      if (!spec && logs[0]) spec = logs[0];
      if (!spec) {
        if (this.follower) await this.follower.stop();
        this.follower = null;
        this.following = null;
        this.opts.problem(
          `${driver.kind} writes no log ftpscope can read; enable one (see the collector README) or name it with --ftp-log`,
        );
        return;
      }
      path = spec.path;
      parse = spec.parse;
      if (spec.format === 'ExtendedLog') start = 'pid';
    }
    if (this.follower && this.following === path) return;
    await this.follower?.stop();
    this.following = path;
    const source = `${driver.kind}-log`;
    this.follower = new LogFollower({
      path,
      fromEnd: true,
      onProblem: (message) => this.opts.problem(message),
      onLines: (lines) => {
        const now = this.opts.now();
        const records: FtpLogRecord[] = [];
        for (const line of lines) {
          const recs = parse(line, now);
          if (recs === null) this.opts.countUnknown(source, 1, [line.slice(0, 300)]);
          else if (recs !== 'skip') records.push(...recs);
        }
        if (records.length > 0) this.opts.onRecords(records, start);
      },
    });
    await this.follower.start();
  }
}

/** Formats tried on a log named by flag when the server's config could not be read. */
const FALLBACK_PARSERS: LogLineParser[] = [
  parseFtpLogLine,
  parsePureFtpdSyslog,
  extendedLogParser(RECOMMENDED_LOG_FORMAT) as LogLineParser,
];

/** A parser that tries each of a server's log formats (for a log named by flag). */
function anyOf(specs: LogSpec[]): LogLineParser {
  const parsers = [...new Set(specs.map((s) => s.parse))];
  // Without a readable config, try every format ftpscope knows.
  if (parsers.length === 0) parsers.push(...FALLBACK_PARSERS);
  return (line, now) => {
    let skip = false;
    for (const p of parsers) {
      const r = p(line, now);
      if (r === 'skip') skip = true;
      else if (r !== null) return r;
    }
    return skip ? 'skip' : null;
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
