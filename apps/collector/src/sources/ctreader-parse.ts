import type { ConntrackRecord, Tuple } from './conntrack-parse.ts';
import type { ExpectRecord } from './expect-parse.ts';
import { lines, ParseAccumulator, type ParseResult } from './parse-result.ts';

/** One line of `ftpscope-ctreader` output (see apps/collector/native/ctreader.c for the format). */
export type ReaderLine =
  | { kind: 'ct'; rec: ConntrackRecord }
  | { kind: 'exp'; rec: ExpectRecord }
  /** Subscribed: events from here on are not missed. */
  | { kind: 'ready'; buffer: number; kernelFilter: boolean }
  /** Events were lost (ENOBUFS); the reader grew its receive buffer to `buffer` bytes. */
  | { kind: 'loss'; buffer: number }
  /** End of a listing: entries printed, and entries the kernel sent. */
  | { kind: 'done'; conns: number; expects: number; seen: number }
  /** Asked with SIGUSR1: conntrack events that reached the reader, and those it printed, since its start. */
  | { kind: 'counts'; parsed: number; printed: number };

type Event = ConntrackRecord['event'];

/*
 * A record is read in place: the start of each field is noted in `at` (field i runs from at[i] to the tab before
 * at[i + 1]), and only the fields a record keeps become strings (split made 22 strings and an array per line:
 * parsing a recorded 100k-entry listing took 87 ms with split, 58 ms in place).
 */
const MAX_FIELDS = 22;
const at = new Int32Array(MAX_FIELDS + 2);
let text = '';

/** Notes where the fields of `line` start; returns how many there are (MAX_FIELDS + 1 when there are more). */
function scan(line: string): number {
  text = line;
  let n = 0;
  at[0] = 0;
  for (let p = line.indexOf('\t'); p !== -1 && n < MAX_FIELDS; p = line.indexOf('\t', p + 1)) at[++n] = p + 1;
  at[n + 1] = line.length + 1;
  return n + 1;
}

const len = (i: number) => (at[i + 1] as number) - 1 - (at[i] as number);
const str = (i: number) => text.slice(at[i], (at[i + 1] as number) - 1);
/** The field is one character, `c`. */
const is = (i: number, c: string) => len(i) === 1 && text.charCodeAt(at[i] as number) === c.charCodeAt(0);
const absent = (i: number) => is(i, '-');

/** A decimal field of at most `max` digits; NaN when it is anything else, so one check at the end rejects the record. */
function num(i: number, max = 20): number {
  const n = len(i);
  if (n < 1 || n > max) return Number.NaN;
  let v = 0;
  for (let p = at[i] as number, e = p + n; p < e; p++) {
    const d = text.charCodeAt(p) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  // Past 15 digits the sum may round differently from the nearest double: Number() rounds right.
  return n > 15 ? Number(str(i)) : v;
}

function event(i: number): Event | undefined {
  const n = len(i);
  const s = at[i] as number;
  if (n === 3 && text.startsWith('NEW', s)) return 'NEW';
  if (n === 6 && text.startsWith('UPDATE', s)) return 'UPDATE';
  if (n === 7 && text.startsWith('DESTROY', s)) return 'DESTROY';
  return n === 1 && text.charCodeAt(s) === 45 ? null : undefined;
}

/** "4" or "6"; undefined otherwise. */
const family = (i: number) => (is(i, '4') ? 'ipv4' : is(i, '6') ? 'ipv6' : undefined);

/** Four fields from i: src dst sport dport; null when an address is absent ("-") or any field is not valid. */
function tuple(i: number): Tuple | null {
  if (len(i) < 1 || len(i + 1) < 1 || absent(i) || absent(i + 1)) return null;
  const sport = num(i + 2);
  const dport = num(i + 3);
  return Number.isNaN(sport + dport) ? null : { src: str(i), dst: str(i + 1), sport, dport };
}

/** Whether field i contains the character c (the flags). */
function has(i: number, c: number): boolean {
  for (let p = at[i] as number, e = p + len(i); p < e; p++) if (text.charCodeAt(p) === c) return true;
  return false;
}

/** C event at family timeout state orig(4) reply(4) flags helper id bytes master(4): 22 fields. */
function conntrack(line: string): ConntrackRecord | null {
  if (scan(line) !== 22) return null;
  const ev = event(1);
  const time = absent(2) ? null : num(2);
  const fam = family(3);
  const timeout = num(4);
  const orig = tuple(6);
  const reply = tuple(10);
  const bytes = absent(17) ? null : num(17);
  const master = absent(18) ? null : tuple(18);
  if (
    ev === undefined ||
    Number.isNaN(time) ||
    fam === undefined ||
    Number.isNaN(timeout) ||
    !orig ||
    !reply ||
    Number.isNaN(num(16, 10)) ||
    Number.isNaN(bytes) ||
    (!absent(18) && !master)
  )
    return null;
  return {
    event: ev,
    at: time,
    family: fam,
    proto: 'tcp',
    timeout,
    state: absent(5) ? null : str(5),
    orig,
    reply,
    unreplied: has(14, 117), // u
    assured: has(14, 97), // a
    helper: absent(15) ? null : str(15),
    id: str(16),
    bytes,
    master,
  };
}

/** X event at family timeout protonum tuple(4) master(4) helper: 15 fields. */
function expectation(line: string): ExpectRecord | null {
  if (scan(line) !== 15) return null;
  const ev = event(1);
  const time = absent(2) ? null : num(2);
  const fam = family(3);
  const timeout = num(4);
  const protonum = num(5);
  const t = tuple(6);
  const master = tuple(10);
  if (
    ev === undefined ||
    Number.isNaN(time) ||
    fam === undefined ||
    Number.isNaN(timeout) ||
    Number.isNaN(protonum) ||
    !t ||
    !master
  )
    return null;
  return {
    event: ev,
    at: time,
    family: fam,
    timeout,
    protonum,
    tuple: t,
    master,
    helper: absent(14) ? null : str(14),
  };
}

/**
 * Parses one line of the native reader; null when it is not one (the caller counts it as unknown). Records
 * are tab-separated fields, read in place (a resync lists up to 100k of them).
 */
export function parseReaderLine(line: string): ReaderLine | null {
  switch (line.charCodeAt(1) === 9 ? line[0] : '') {
    case 'C': {
      const rec = conntrack(line);
      return rec ? { kind: 'ct', rec } : null;
    }
    case 'X': {
      const rec = expectation(line);
      return rec ? { kind: 'exp', rec } : null;
    }
    case 'R':
      return scan(line) === 3 ? { kind: 'ready', buffer: num(1) || 0, kernelFilter: is(2, '1') } : null;
    case 'L':
      return scan(line) === 2 ? { kind: 'loss', buffer: num(1) || 0 } : null;
    case 'D':
      return scan(line) === 4
        ? { kind: 'done', conns: num(1) || 0, expects: num(2) || 0, seen: num(3) || 0 }
        : null;
    case 'S':
      return scan(line) === 3 ? { kind: 'counts', parsed: num(1) || 0, printed: num(2) || 0 } : null;
    default:
      return null;
  }
}

/** Parses a whole recorded reader output (fixtures, tests). */
export function parseReader(text: string): ParseResult<ReaderLine> {
  const acc = new ParseAccumulator<ReaderLine>();
  for (const line of lines(text)) {
    const r = parseReaderLine(line);
    if (r) acc.add(r);
    else acc.reject(line);
  }
  return acc.result();
}
