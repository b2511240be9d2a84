import { monthIndex } from './log-record.ts';

/** One syslog line as rsyslog, syslog-ng or busybox syslogd write it to a file. */
export interface SyslogLine {
  at: number;
  program: string;
  pid: number | null;
  message: string;
}

const BSD = /^(\w{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) /;
const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) /;
/** After the time: host, busybox's optional "facility.priority", then "program[pid]: message". */
const REST = /^\S+ (?:[a-z0-9]+\.[a-z]+ )?([^\s[:]+)(?:\[(\d+)\])?: (.*)$/;

/**
 * Parses the file form of a syslog line: traditional ("Nov 30 13:36:58 host prog[pid]: msg", local time, no
 * year: the year of `now`, or the one before when that would put the line more than a day in the future)
 * or high-precision ISO 8601 (Debian 12's rsyslog default). Null when the line is not one.
 */
export function parseSyslogLine(line: string, now: number): SyslogLine | null {
  let at: number;
  let rest: string;
  const iso = ISO.exec(line);
  const bsd = iso ? null : BSD.exec(line);
  if (iso) {
    at = Date.parse(iso[1] as string);
    rest = line.slice(iso[0].length);
  } else if (bsd) {
    const month = monthIndex(bsd[1] as string);
    if (month < 0) return null;
    const year = new Date(now).getFullYear();
    const make = (y: number) =>
      new Date(y, month, Number(bsd[2]), Number(bsd[3]), Number(bsd[4]), Number(bsd[5])).getTime();
    at = make(year);
    if (at > now + 86_400_000) at = make(year - 1);
    rest = line.slice(bsd[0].length);
  } else return null;
  if (Number.isNaN(at)) return null;
  const m = REST.exec(rest);
  // A line without a "program:" tag (syslogd's own notes) is still a syslog line, of no program.
  if (!m) return { at, program: '', pid: null, message: rest };
  return { at, program: m[1] as string, pid: m[2] ? Number(m[2]) : null, message: m[3] as string };
}
