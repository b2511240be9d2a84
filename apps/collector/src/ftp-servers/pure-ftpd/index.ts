import { join } from 'node:path';
import type { FtpServerDriver, LogSpec } from '../types.ts';
import { parseXferlogLine } from '../xferlog-parse.ts';
import { parsePureFtpdClf, parsePureFtpdSyslog } from './log-parse.ts';
import {
  optionsFromArgv,
  optionsFromConfFile,
  optionsFromDebianDir,
  type PureOptions,
  settingsFromOptions,
} from './options-parse.ts';

/** Debian's one-file-per-option directory, read by pure-ftpd-wrapper. */
export const DEBIAN_CONF_DIR = '/etc/pure-ftpd/conf';
/** Where syslog daemons usually write the ftp facility. */
export const SYSLOG_PATHS = ['/var/log/pure-ftpd/pure-ftpd.log', '/var/log/syslog', '/var/log/messages'];

/**
 * Pure-FTPd: flags on its command line (as the Debian wrapper starts it), or a config file as the only
 * argument, or, without a running process, Debian's /etc/pure-ftpd/conf directory.
 */
export const pureFtpd: FtpServerDriver = {
  kind: 'pure-ftpd',
  binaries: ['pure-ftpd'],
  defaultConfigs: [DEBIAN_CONF_DIR, '/etc/pure-ftpd/pure-ftpd.conf', '/etc/pure-ftpd.conf'],
  configFromArgv: (argv) => optionsFromArgv(argv).configFile,
  settingsInArgv: (argv) => argv.length > 1 && optionsFromArgv(argv).configFile === null,
  async load(inv, io) {
    let options: PureOptions;
    let unknown = 0;
    let examples: string[] = [];
    let configPath = inv.configPath;
    const fromArgv = optionsFromArgv(inv.argv);
    if (inv.argv.length > 1 && fromArgv.configFile === null && inv.configPath === null) {
      options = fromArgv.options;
      configPath = `${inv.argv[0] ?? 'pure-ftpd'} (command line)`;
    } else {
      const path = inv.configPath ?? fromArgv.configFile ?? DEBIAN_CONF_DIR;
      configPath = path;
      let names: string[] | null = null;
      try {
        names = await io.readdir(path);
      } catch {
        names = null;
      }
      if (names) {
        const files: Array<[string, string]> = [];
        for (const n of names.sort()) files.push([n, await io.readFile(join(path, n))]);
        options = optionsFromDebianDir(files);
      } else {
        const r = optionsFromConfFile(await io.readFile(path));
        options = r.options;
        unknown = r.unknown;
        examples = r.examples;
      }
    }
    const s = settingsFromOptions(options, configPath);
    const problems: string[] = [];
    const logs: LogSpec[] = [];
    if (s.syslog) {
      for (const path of SYSLOG_PATHS) logs.push({ path, format: 'syslog', parse: parsePureFtpdSyslog });
      if (!s.verbose)
        problems.push(
          'pure-ftpd logs no commands without VerboseLog (-d): sessions show their transfers but not when they asked for a data channel',
        );
    }
    for (const a of s.altLogs) {
      if (a.format === 'clf') logs.push({ path: a.path, format: 'AltLog clf', parse: parsePureFtpdClf });
      else if (a.format === 'xferlog')
        logs.push({
          path: a.path,
          format: 'AltLog xferlog',
          parse: (line) => (line.trim() === '' ? 'skip' : wrap(parseXferlogLine(line))),
        });
    }
    return { settings: { ...s.settings, source: inv.source }, logs, unknown, examples, problems };
  },
};

const wrap = <T>(x: T | null): T[] | null => (x === null ? null : [x]);
