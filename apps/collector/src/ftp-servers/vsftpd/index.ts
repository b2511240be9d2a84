import type { FtpServerDriver, LogSpec } from '../types.ts';
import { parseXferlogLine } from '../xferlog-parse.ts';
import { parseVsftpdConf } from './conf-parse.ts';
import { parseFtpLogLine } from './log-parse.ts';

/** vsftpd: one `key=value` file, named as the first argument of its command line. */
export const vsftpd: FtpServerDriver = {
  kind: 'vsftpd',
  binaries: ['vsftpd'],
  defaultConfigs: ['/etc/vsftpd.conf', '/etc/vsftpd/vsftpd.conf'],
  configFromArgv(argv) {
    // `vsftpd [-oopt=value ...] [CONF]`: the config is the argument that is not an option.
    return argv.slice(1).find((a) => !a.startsWith('-')) ?? null;
  },
  async load(inv, io) {
    const path = inv.configPath ?? '/etc/vsftpd.conf';
    const cfg = parseVsftpdConf(await io.readFile(path), path);
    const logs: LogSpec[] = [];
    // The vsftpd format when written: it has the protocol lines (PASV replies, PORT) as well as transfers.
    if (cfg.vsftpdLog) logs.push({ path: cfg.vsftpdLog, format: 'vsftpd.log', parse: parseFtpLogLine });
    if (cfg.xferlog)
      logs.push({
        path: cfg.xferlog,
        format: 'xferlog',
        parse: (line) => (line.trim() === '' ? 'skip' : wrap(parseXferlogLine(line))),
      });
    return {
      settings: { ...cfg.settings, source: inv.source },
      logs,
      unknown: cfg.unknown,
      examples: cfg.examples,
      problems: [],
    };
  },
};

const wrap = <T>(x: T | null): T[] | null => (x === null ? null : [x]);
