import type { Backend, CollectorEvent, FtpServerKind } from '@ftpscope/shared';
import type { SpawnLines } from './exec.ts';
import type { CtReaderChoice } from './sources/ctreader-locate.ts';

/** Runs a tool with a fixed argument array (never a shell) and a timeout; injected so tests can replay recordings. */
export type Exec = (
  file: string,
  args: string[],
  opts?: { timeoutMs?: number },
) => Promise<{ code: number; stdout: string; stderr: string }>;

export interface HostMonitorOptions {
  /** Host name reported to the hub. */
  name: string;
  /** Network namespace to watch (every tool runs under `nsenter --net=/run/netns/NS`, added by the monitor: pass a plain exec); null = the collector's own. */
  netns: string | null;
  /** Rule counter poll interval (ms), default 1000. */
  intervalMs: number;
  /** FTP control ports, default [21]. */
  ftpPorts: number[];
  /** NFLOG groups to read dropped packets from. */
  nflogGroups: number[];
  /** vsftpd.conf path (implies ftpServer vsftpd); null = look at the usual paths. Kept for old callers: prefer ftpConf. */
  vsftpdConf: string | null;
  /** Which FTP server to read; default `auto` (the process listening on the first control port). */
  ftpServer?: FtpServerKind | 'auto';
  /** The FTP server's config file (Pure-FTPd: also its conf directory); null = from the process or the usual paths. */
  ftpConf?: string | null;
  /** FTP server log to follow; null = the first log its config names that exists. */
  ftpLog: string | null;
  /** conntrack -E receive buffer (bytes) to start with. */
  eventBufferBytes: number;
  /** Load ftpscope's observation table and follow its traces (default true). */
  observe?: boolean;
  /** Process whose mount namespace holds the firewall manager (files, firewall-cmd); null: the collector's own. */
  managerPid?: number | null;
  /** The native conntrack reader to use, or the `conntrack` tool and why; default: locateCtReader(null). */
  ctreader?: CtReaderChoice;
  exec: Exec;
  /** Starts long-running tools (conntrack -E, tcpdump); default: the real spawn. Not netns-wrapped by the caller. */
  spawn?: SpawnLines;
  /** Where problems and parser statistics are logged; default: nowhere (they are also in HostInfo). */
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
  now: () => number;
}

export interface HostInfo {
  kernel: string;
  backends: Backend[];
  /** Sources that work, e.g. conntrack-events, expectations, rules, nflog, ftp-settings, ftp-log. */
  capabilities: string[];
  /** Problems found at start, each naming the package or privilege to fix it. */
  problems: string[];
}

/**
 * Watches one host (namespace): conntrack sessions, expectations, data connections, rule counters,
 * ruleset changes, health, drops, FTP server settings and log. Emits wire events as things change.
 */
export interface HostMonitor {
  /**
   * Starts watching; `emit` gets every event, `urgent` false for changes of sessions, expectations and data
   * connections already sent (a batch may hold them longer), true or absent for everything else.
   */
  start(emit: (event: CollectorEvent, urgent?: boolean) => void): Promise<HostInfo>;
  /** Current full state as events (sessions, expectations, data, ruleset, counters, health, settings, sync). */
  snapshot(): CollectorEvent[];
  stop(): Promise<void>;
  /** Lines each parser did not understand so far (count and first examples), by source. */
  parserStats?(): Record<string, { unknown: number; examples: string[] }>;
}
