import { clfTime, type FtpLogRecord, type LogLineParser, normaliseClient } from '../log-record.ts';
import { parseSyslogLine } from '../syslog-parse.ts';

/** Longest log line parsed (longer ones are counted as not understood). */
const MAX_LINE = 16_384;

/** "(user@client) [LEVEL] message": how Pure-FTPd starts every syslog message of a session. */
const MESSAGE = /^\((.*)@([^)]+)\) \[([A-Z]+)\] (.*)$/;

/**
 * Pure-FTPd's syslog lines (facility ftp): new connections, logins, transfers with their size, and with
 * VerboseLog (-d) every command. It does not log replies, so a PASV's port is not in its log. Lines of
 * other programs in the same file are skipped; the session's pid is there only with LogPID (-1).
 */
export const parsePureFtpdSyslog: LogLineParser = (line, now) => {
  if (line.trim() === '') return 'skip';
  if (line.length > MAX_LINE) return null;
  const s = parseSyslogLine(line, now);
  if (!s) return null;
  if (s.program !== 'pure-ftpd') return 'skip';
  const m = MESSAGE.exec(s.message);
  if (!m) return /^\(/.test(s.message) ? null : 'skip';
  const [, rawUser, rawClient, , text] = m as unknown as [string, string, string, string, string];
  const user = rawUser === '?' ? null : rawUser;
  const common = { at: s.at, pid: s.pid, client: normaliseClient(rawClient), user };
  const cmd = /^Command \[([^\]]*)\] \[(.*)\]$/.exec(text);
  if (cmd)
    return [{ ...common, kind: 'command', command: (cmd[1] as string).toUpperCase(), arg: cmd[2] as string }];
  if (/^New connection from /.test(text)) return [{ ...common, kind: 'connect' }];
  // Pure-FTPd logs no replies; its TLS line is where the 234 reply to AUTH TLS would be.
  if (/^TLS: Enabled /.test(text)) return [{ ...common, kind: 'response', code: 234, text }];
  if (text === 'Anonymous user logged in') return [{ ...common, kind: 'login', user: 'anonymous', ok: true }];
  const login = /^(\S+) is now logged in$/.exec(text);
  if (login) return [{ ...common, kind: 'login', user: login[1] as string, ok: true }];
  const failed = /^Authentication failed for user \[(.*)\]$/.exec(text);
  if (failed) return [{ ...common, kind: 'login', user: failed[1] as string, ok: false }];
  const xfer = /^(.*) (downloaded|uploaded) +\((\d+) bytes/.exec(text);
  if (xfer)
    return [
      {
        ...common,
        kind: 'transfer',
        direction: xfer[2] === 'downloaded' ? 'download' : 'upload',
        path: (xfer[1] as string).replace(/\/\/+/g, '/'),
        bytes: Number(xfer[3]),
        ok: true,
      },
    ];
  return 'skip';
};

const CLF = /^(\S+) \S+ (\S+) \[([^\]]+)\] "(GET|PUT) (.*)" (\d{3}) (\d+|-)$/;

/** Pure-FTPd's AltLog in clf format: one line per transfer (`client - user [time] "GET /path" 200 bytes`). */
export const parsePureFtpdClf: LogLineParser = (line, now) => {
  if (line.trim() === '') return 'skip';
  if (line.length > MAX_LINE) return null;
  const m = CLF.exec(line);
  if (!m) return null;
  const rec: FtpLogRecord = {
    kind: 'transfer',
    at: clfTime(m[3] as string) ?? now,
    pid: null,
    client: normaliseClient(m[1] as string),
    user: m[2] === '-' ? null : (m[2] as string),
    direction: m[4] === 'GET' ? 'download' : 'upload',
    path: m[5] as string,
    bytes: m[7] === '-' ? 0 : Number(m[7]),
    ok: (m[6] as string).startsWith('2'),
  };
  return [rec];
};
