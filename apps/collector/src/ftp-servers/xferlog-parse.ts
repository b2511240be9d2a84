import { int } from '../sources/parse-result.ts';
import { ctimeStamp, type FtpLogRecord, normaliseClient } from './log-record.ts';

/**
 * One wu-ftpd style xferlog line, as vsftpd (xferlog_std_format), ProFTPD (TransferLog) and Pure-FTPd
 * (AltLog xferlog:) write it: time, transfer-time, host, size, file (may hold spaces), type, action,
 * direction, access-mode, user, service, auth, auth-user, status.
 */
export function parseXferlogLine(line: string): FtpLogRecord | null {
  const s = ctimeStamp(line);
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
