/**
 * What ftpscope takes from any FTP server's log, whatever its format: the lines that say who connected,
 * who logged in, which commands and replies went by, and which transfers ended how. `pid` is the server
 * process of the session when the log names it (vsftpd, ProFTPD %P, Pure-FTPd with LogPID); `clientPort`
 * the client's control port when the log names it (ProFTPD %{remote-port}), which ties a line to its
 * conntrack session exactly.
 */
interface Common {
  at: number;
  pid: number | null;
  client: string;
  clientPort?: number | null;
  user?: string | null;
}

/** One meaningful line (or part of one) of an FTP server log. */
export type FtpLogRecord =
  | (Common & { kind: 'connect' })
  | (Common & { kind: 'login'; user: string; ok: boolean })
  | (Common & { kind: 'command'; command: string; arg: string })
  | (Common & { kind: 'response'; code: number; text: string })
  | (Common & {
      kind: 'transfer';
      direction: 'download' | 'upload' | 'mkdir' | 'other';
      path: string;
      bytes: number;
      ok: boolean;
    });

/** A log line parser: records (one line can hold a command and its reply), 'skip' for lines of no interest, null when not understood. */
export type LogLineParser = (line: string, now: number) => FtpLogRecord[] | 'skip' | null;

/** "::ffff:1.2.3.4" is how a server on an IPv6 socket prints an IPv4 client; conntrack prints 1.2.3.4. */
export function normaliseClient(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Month index of a three-letter English month name, or -1. */
export function monthIndex(name: string): number {
  return MONTHS.indexOf(name);
}

const CTIME = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\w{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})/;

/**
 * "Thu Nov 26 20:41:57 2026" (vsftpd, xferlog) at the start of a line. Servers write local time without a
 * zone; the collector runs on the same host, so local time is right.
 */
export function ctimeStamp(line: string): { at: number; rest: string } | null {
  // A busy log writes many lines per second: the same stamp is converted once.
  if (last.stamp !== '' && line.startsWith(last.stamp))
    return { at: last.at, rest: line.slice(last.stamp.length) };
  const m = CTIME.exec(line);
  if (!m) return null;
  const month = monthIndex(m[1] as string);
  if (month < 0) return null;
  const d = new Date(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  last = { stamp: m[0], at: d.getTime() };
  return { at: last.at, rest: line.slice(m[0].length) };
}

/** The last stamp ctimeStamp converted. */
let last = { stamp: '', at: 0 };

const CLF = /^(\d{1,2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/** "30/Nov/2026:13:35:10 +0000" (common log format, with its zone), without the brackets; null if not one. */
export function clfTime(text: string): number | null {
  const m = CLF.exec(text);
  if (!m) return null;
  const month = monthIndex(m[2] as string);
  if (month < 0) return null;
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  const offset = (Number(m[8]) * 60 + Number(m[9])) * 60_000 * (m[7] === '-' ? -1 : 1);
  return utc - offset;
}

/** A data port offer or request: "h1,h2,h3,h4,p1,p2" (PASV reply, PORT) as address and port. */
export function parseHostPort(text: string): { address: string; port: number } | null {
  const m = /(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})/.exec(text);
  if (!m) return null;
  const n = m.slice(1).map(Number);
  if (n.some((x) => x > 255)) return null;
  return { address: n.slice(0, 4).join('.'), port: (n[4] as number) * 256 + (n[5] as number) };
}

/** EPSV reply "(|||port|)" or EPRT argument "|af|addr|port|" as address (null for EPSV) and port. */
export function parseExtendedHostPort(text: string): { address: string | null; port: number } | null {
  const m = /\|([12]?)\|([^|]*)\|(\d{1,5})\|/.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  return { address: m[2] ? normaliseClient(m[2]) : null, port };
}
