import type { FtpServerKind, FtpServerSettings } from '@ftpscope/shared';
import type { LogLineParser } from './log-record.ts';

/** A log a server writes, most useful first: which file, and how to read its lines. */
export interface LogSpec {
  path: string;
  /** Human name of the format, for problems and the README ("vsftpd.log", "ExtendedLog", "xferlog", "syslog"). */
  format: string;
  parse: LogLineParser;
}

/** What reading a server's configuration gave: its settings, its logs and what could not be understood. */
export interface ServerConfig {
  settings: FtpServerSettings;
  /** Logs the server writes, best first; the collector follows the first that exists. */
  logs: LogSpec[];
  unknown: number;
  examples: string[];
  /** Things the operator should know (an include that cannot be read, a log format without addresses). */
  problems: string[];
}

/** Filesystem reads a driver may do; injected so tests read recorded fixtures. */
export interface ConfigIo {
  readFile(path: string): Promise<string>;
  /** Entry names of a directory. */
  readdir(path: string): Promise<string[]>;
}

/** How the server was started: its config file (when known) and its command line (when a process was found). */
export interface ServerInvocation {
  configPath: string | null;
  argv: string[];
  source: 'process' | 'flag' | 'path';
}

/**
 * One FTP server implementation: how to recognise its process, where its configuration lives, how to read
 * it and its logs. Adding a server means one folder with one of these, listed in registry.ts.
 */
export interface FtpServerDriver {
  kind: FtpServerKind;
  /** Executable base names that identify it (from /proc/PID/exe). */
  binaries: string[];
  /** Config paths tried, in order, when neither a flag nor the process names one. */
  defaultConfigs: string[];
  /** The config file named on a process's command line, if any (argv[0] included). */
  configFromArgv(argv: string[]): string | null;
  /** True when the command line itself carries the settings (Pure-FTPd's flags): no config file is read. */
  settingsInArgv?(argv: string[]): boolean;
  /** Reads the settings and logs; throws only when the main config cannot be read (the caller reports it). */
  load(inv: ServerInvocation, io: ConfigIo): Promise<ServerConfig>;
}
