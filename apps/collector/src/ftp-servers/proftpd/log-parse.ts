import { clfTime, type FtpLogRecord, type LogLineParser, normaliseClient } from '../log-record.ts';

/** Longest log line parsed (longer ones are counted as not understood). */
const MAX_LINE = 16_384;

/** ProFTPD's built-in LogFormat "default" (what ExtendedLog uses when it names no format). */
export const DEFAULT_LOG_FORMAT = '%h %l %u %t "%r" %s %b';

/** Which field a format variable fills, and the pattern its value has. */
const VARIABLES: Record<string, { field: string; re: string }> = {
  '%a': { field: 'client', re: '(\\S+)' },
  '%h': { field: 'host', re: '(\\S+)' },
  '%{remote-port}': { field: 'clientPort', re: '(\\d+|-)' },
  '%P': { field: 'pid', re: '(\\d+|-)' },
  '%u': { field: 'user', re: '(\\S+)' },
  '%m': { field: 'command', re: '(\\S+)' },
  '%J': { field: 'arg', re: '(.*?)' },
  '%r': { field: 'request', re: '(.*?)' },
  '%s': { field: 'code', re: '(\\d{3}|-)' },
  '%S': { field: 'text', re: '(.*?)' },
  '%b': { field: 'bytes', re: '(\\d+|-)' },
  '%f': { field: 'path', re: '(.*?)' },
  '%t': { field: 'clf', re: '\\[([^\\]]+)\\]' },
  '%{iso8601}': { field: 'iso', re: '(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2},\\d{3})' },
  '%{epoch}': { field: 'epoch', re: '(\\d+)' },
  '%{millisecs}': { field: 'ms', re: '(\\d+)' },
  '%{transfer-status}': { field: 'status', re: '(\\S+)' },
};

/** Commands whose reply ends a data transfer, and which way the data went. */
const TRANSFER: Record<string, 'download' | 'upload' | 'other'> = {
  RETR: 'download',
  STOR: 'upload',
  APPE: 'upload',
  STOU: 'upload',
  LIST: 'other',
  NLST: 'other',
  MLSD: 'other',
};

/** The regex of a LogFormat and the fields its groups fill, or null when it names no client address. */
export function compileLogFormat(format: string): { re: RegExp; fields: string[] } | null {
  const fields: string[] = [];
  let re = '';
  let i = 0;
  while (i < format.length) {
    const m = /^%(\{[^}]*\}|.)/.exec(format.slice(i));
    if (m) {
      const known = VARIABLES[m[0]];
      fields.push(known ? known.field : 'other');
      re += known ? known.re : m[0] === '%t' ? '\\[[^\\]]+\\]' : '(.*?)';
      i += m[0].length;
      continue;
    }
    re += (format[i] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    i++;
  }
  if (!fields.includes('client') && !fields.includes('host')) return null;
  if (!fields.includes('command') && !fields.includes('request')) return null;
  return { re: new RegExp(`^${re}$`), fields };
}

const dash = (v: string | undefined) => (v === undefined || v === '-' ? null : v);

/** "2026-11-30 13:35:24,197" in local time (ProFTPD writes %{iso8601} without a zone). */
function isoLocal(v: string): number {
  const [y, mo, d, h, mi, s, ms] = (v.match(/\d+/g) ?? []).map(Number) as number[];
  return new Date(y as number, (mo as number) - 1, d, h, mi, s, ms).getTime();
}

/**
 * A parser for ExtendedLog lines written with this LogFormat (null when the format lacks a client address
 * or a command). One line is one command with its reply: it gives a command record, a response record
 * when the reply code is logged, and a transfer record for RETR/STOR/LIST... with a byte count.
 */
export function extendedLogParser(format: string): LogLineParser | null {
  const compiled = compileLogFormat(format);
  if (!compiled) return null;
  const { re, fields } = compiled;
  return (line, now) => {
    if (line.trim() === '') return 'skip';
    // Several lazy groups in a row backtrack quadratically: no real log line is anywhere near this long.
    if (line.length > MAX_LINE) return null;
    const m = re.exec(line);
    if (!m) return null;
    const v: Record<string, string> = {};
    fields.forEach((f, i) => {
      if (f !== 'other') v[f] = m[i + 1] as string;
    });
    let at = now;
    if (v.epoch !== undefined) at = Number(v.epoch) * 1000 + (v.ms !== undefined ? Number(v.ms) % 1000 : 0);
    else if (v.iso !== undefined) at = isoLocal(v.iso);
    else if (v.clf !== undefined) at = clfTime(v.clf) ?? now;
    const client = normaliseClient(v.client ?? (v.host as string));
    const port = dash(v.clientPort);
    const pid = dash(v.pid);
    let command = v.command;
    let arg = v.arg ?? '';
    if (command === undefined) {
      const req = v.request ?? '';
      const sp = req.indexOf(' ');
      command = sp < 0 ? req : req.slice(0, sp);
      arg = sp < 0 ? '' : req.slice(sp + 1);
    }
    command = command.toUpperCase();
    // ProFTPD logs the USER name before login as the user field "-", and the mapped one after.
    const common = {
      at,
      pid: pid === null ? null : Number(pid),
      client,
      clientPort: port === null ? null : Number(port),
      user: dash(v.user),
    };
    const out: FtpLogRecord[] = [{ ...common, kind: 'command', command, arg }];
    const code = dash(v.code);
    if (code !== null) {
      out.push({ ...common, kind: 'response', code: Number(code), text: v.text ?? '' });
      if (command === 'PASS') {
        out.push({ ...common, kind: 'login', user: dash(v.user) ?? '', ok: code === '230' });
      }
    }
    const dir = TRANSFER[command];
    const bytes = dash(v.bytes);
    if (dir && (bytes !== null || code !== null)) {
      const ok = v.status !== undefined && v.status !== '-' ? v.status === 'success' : code === '226';
      out.push({
        ...common,
        kind: 'transfer',
        direction: dir,
        path: dash(v.path) ?? arg,
        bytes: bytes === null ? 0 : Number(bytes),
        ok,
      });
    }
    return out;
  };
}
