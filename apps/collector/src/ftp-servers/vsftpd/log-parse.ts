import { ParseAccumulator, type ParseResult } from '../../sources/parse-result.ts';
import { ctimeStamp, type FtpLogRecord, normaliseClient } from '../log-record.ts';
import { parseXferlogLine } from '../xferlog-parse.ts';

const VSFTPD =
  /^ \[pid (\d+)\] (?:\[([^\]]*)\] )?(CONNECT|FTP command|FTP response|OK LOGIN|FAIL LOGIN|OK DOWNLOAD|FAIL DOWNLOAD|OK UPLOAD|FAIL UPLOAD|OK MKDIR|FAIL MKDIR|OK [A-Z]+|FAIL [A-Z]+): Client "([^"]*)"(?:, (.*))?$/;

function parseVsftpdLine(line: string): FtpLogRecord | null | 'skip' {
  const s = ctimeStamp(line);
  if (!s) return null;
  // vsftpd's own notes ("Control connection terminated without SSL shutdown.") say nothing we use.
  if (/^ \[pid \d+\] (?:\[[^\]]*\] )?DEBUG: /.test(s.rest)) return 'skip';
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

/** Parses one line of vsftpd.log or xferlog; null when neither understands it, 'skip' for known uninteresting lines. */
export function parseFtpLogLine(line: string): FtpLogRecord[] | null | 'skip' {
  if (line.trim() === '') return 'skip';
  const r = parseVsftpdLine(line) ?? parseXferlogLine(line);
  return r === null || r === 'skip' ? r : [r];
}

/** Parses a chunk of vsftpd.log or xferlog. */
export function parseFtpLog(text: string): ParseResult<FtpLogRecord> {
  return parseLogChunk(text, (line) => parseFtpLogLine(line));
}

/** Runs a line parser over a chunk of log text, counting lines it does not understand. */
export function parseLogChunk(
  text: string,
  parse: (line: string) => FtpLogRecord[] | null | 'skip',
): ParseResult<FtpLogRecord> {
  const acc = new ParseAccumulator<FtpLogRecord>();
  for (const line of text.split(/\r?\n/)) {
    const r = parse(line);
    if (r === 'skip') continue;
    if (r) for (const x of r) acc.add(x);
    else acc.reject(line);
  }
  return acc.result();
}
