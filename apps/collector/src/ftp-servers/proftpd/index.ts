import type { FtpServerDriver, LogSpec } from '../types.ts';
import { parseXferlogLine } from '../xferlog-parse.ts';
import { expandProftpdConf } from './conf-expand.ts';
import { parseProftpdConf } from './conf-parse.ts';
import { extendedLogParser } from './log-parse.ts';

/** The LogFormat ftpscope recommends for ProFTPD's ExtendedLog: pid, client address and port, command and reply. */
export const RECOMMENDED_LOG_FORMAT =
  '%{iso8601} %P %a %{remote-port} %u %m "%J" %s "%S" %b %{transfer-status}';

/**
 * ProFTPD: proftpd.conf with its Includes. The running daemon rewrites its command line
 * ("proftpd: (accepting connections)"), so `-c` is only seen when given before that happens (or by flag).
 */
export const proftpd: FtpServerDriver = {
  kind: 'proftpd',
  binaries: ['proftpd', 'in.proftpd'],
  defaultConfigs: ['/etc/proftpd/proftpd.conf', '/etc/proftpd.conf', '/usr/local/etc/proftpd.conf'],
  configFromArgv(argv) {
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i] as string;
      if (a === '-c' || a === '--config') return argv[i + 1] ?? null;
      if (a.startsWith('--config=')) return a.slice('--config='.length);
      if (a.startsWith('-c') && a.length > 2) return a.slice(2);
    }
    return null;
  },
  async load(inv, io) {
    const path = inv.configPath ?? '/etc/proftpd/proftpd.conf';
    const { lines, problems } = await expandProftpdConf(path, io);
    const cfg = parseProftpdConf(lines, path);
    const logs: LogSpec[] = [];
    for (const e of cfg.logs.extended) {
      const parse = extendedLogParser(e.format);
      if (parse) logs.push({ path: e.path, format: 'ExtendedLog', parse });
      else
        problems.push(
          `proftpd ExtendedLog ${e.path}: its LogFormat "${e.format}" has no client address (%a) or command (%m/%r), so its lines cannot be tied to sessions; use LogFormat ftpscope "${RECOMMENDED_LOG_FORMAT}"`,
        );
    }
    if (cfg.logs.transfer)
      logs.push({
        path: cfg.logs.transfer,
        format: 'xferlog',
        parse: (line) => {
          if (line.trim() === '') return 'skip';
          const r = parseXferlogLine(line);
          return r ? [r] : null;
        },
      });
    return {
      settings: { ...cfg.settings, source: inv.source },
      logs,
      unknown: cfg.unknown,
      examples: cfg.examples,
      problems,
    };
  },
};
