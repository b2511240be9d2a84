import { int, ParseAccumulator, type ParseResult } from './parse-result.ts';

/** One meaningful line of vsftpd.log (protocol or transfer) or xferlog. */
export type FtpLogRecord =
  | { kind: 'connect'; at: number; pid: number; client: string }
  | { kind: 'login'; at: number; pid: number; client: string; user: string; ok: boolean }
  | {
      kind: 'command';
      at: number;
      pid: number;
      client: string;
      user: string | null;
      command: string;
      arg: string;
    }
  | {
      kind: 'response';
      at: number;
      pid: number;
      client: string;
      user: string | null;
      code: number;
      text: string;
    }
  | {
      kind: 'transfer';
      at: number;
      pid: number | null;
      client: string;
      user: string | null;
      direction: 'download' | 'upload' | 'mkdir' | 'other';
      path: string;
      bytes: number;
      ok: boolean;
    };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const STAMP = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\w{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})/;

/** vsftpd writes local time without a zone; the collector runs on the same host, so local time is right. */
function stamp(line: string): { at: number; rest: string } | null {
  const m = STAMP.exec(line);
  if (!m) return null;
  const month = MONTHS.indexOf(m[1] as string);
  if (month < 0) return null;
  const d = new Date(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  return { at: d.getTime(), rest: line.slice(m[0].length) };
}

/** "::ffff:1.2.3.4" is how vsftpd on an IPv6 socket prints an IPv4 client; conntrack prints 1.2.3.4. */
export function normaliseClient(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

const VSFTPD =
  /^ \[pid (\d+)\] (?:\[([^\]]*)\] )?(CONNECT|FTP command|FTP response|OK LOGIN|FAIL LOGIN|OK DOWNLOAD|FAIL DOWNLOAD|OK UPLOAD|FAIL UPLOAD|OK MKDIR|FAIL MKDIR|OK [A-Z]+|FAIL [A-Z]+): Client "([^"]*)"(?:, (.*))?$/;

function parseVsftpdLine(line: string): FtpLogRecord | null | 'skip' {
  const s = stamp(line);
  if (!s) return null;
  const m = VSFTPD.exec(s.rest);
  if (!m) return null;
  const [, pidText, user, what, clientRaw, rest = ''] = m as unknown as [
    string,
    string,
    string | undefined,
    string,
    string,
    string | undefined,
  ];
  const pid = Number(pidText);
  const client = normaliseClient(clientRaw);
  const u = user ?? null;
  if (what === 'CONNECT') return { kind: 'connect', at: s.at, pid, client };
  if (what === 'FTP command') {
    const q = /^"(.*)"$/.exec(rest);
    if (!q) return null;
    const text = q[1] as string;
    const sp = text.indexOf(' ');
    return {
      kind: 'command',
      at: s.at,
      pid,
      client,
      user: u,
      command: (sp < 0 ? text : text.slice(0, sp)).toUpperCase(),
      arg: sp < 0 ? '' : text.slice(sp + 1),
    };
  }
  if (what === 'FTP response') {
    const q = /^"(\d{3})[ -](.*)"$/.exec(rest);
    // Continuation lines of multi-line replies (FEAT) carry no code: not interesting, not unknown.
    if (!q) return /^"/.test(rest) ? 'skip' : null;
    return { kind: 'response', at: s.at, pid, client, user: u, code: Number(q[1]), text: q[2] as string };
  }
  if (what === 'OK LOGIN' || what === 'FAIL LOGIN') {
    const anon = /^anon password /.test(rest);
    return {
      kind: 'login',
      at: s.at,
      pid,
      client,
      user: anon ? 'anonymous' : (u ?? ''),
      ok: what === 'OK LOGIN',
    };
  }
  const t = /^"(.*)", (\d+) bytes/.exec(rest);
  const ok = what.startsWith('OK ');
  const op = what.slice(ok ? 3 : 5);
  return {
    kind: 'transfer',
    at: s.at,
    pid,
    client,
    user: u,
    direction:
      op === 'DOWNLOAD' ? 'download' : op === 'UPLOAD' ? 'upload' : op === 'MKDIR' ? 'mkdir' : 'other',
    path: t ? (t[1] as string) : rest.replace(/^"|"$/g, ''),
    bytes: t ? Number(t[2]) : 0,
    ok,
  };
}

/** xferlog: time, transfer-time, host, size, file (may hold spaces), type, action, direction, access-mode, user, service, auth, auth-user, status. */
function parseXferlogLine(line: string): FtpLogRecord | null {
  const s = stamp(line);
  if (!s) return null;
  const f = s.rest.trim().split(/\s+/);
  if (f.length < 13) return null;
  const [, host, size, ...more] = f as [string, string, string, ...string[]];
  const status = more[more.length - 1];
  const tail = more.slice(-9);
  const path = more.slice(0, more.length - 9).join(' ');
  const [, , direction, access, user] = tail as [string, string, string, string, string];
  const bytes = int(size);
  if (bytes === null || (status !== 'c' && status !== 'i') || !['o', 'i', 'd'].includes(direction))
    return null;
  return {
    kind: 'transfer',
    at: s.at,
    pid: null,
    client: normaliseClient(host),
    user: access === 'a' ? 'anonymous' : user,
    direction: direction === 'o' ? 'download' : direction === 'i' ? 'upload' : 'other',
    path,
    bytes,
    ok: status === 'c',
  };
}

/** Parses one log line of either format; null when neither understands it, 'skip' for known uninteresting lines. */
export function parseFtpLogLine(line: string): FtpLogRecord | null | 'skip' {
  if (line.trim() === '') return 'skip';
  return parseVsftpdLine(line) ?? parseXferlogLine(line);
}

/** Parses a chunk of vsftpd.log or xferlog. */
export function parseFtpLog(text: string): ParseResult<FtpLogRecord> {
  const acc = new ParseAccumulator<FtpLogRecord>();
  for (const line of text.split(/\r?\n/)) {
    const r = parseFtpLogLine(line);
    if (r === 'skip') continue;
    if (r) acc.add(r);
    else acc.reject(line);
  }
  return acc.result();
}
