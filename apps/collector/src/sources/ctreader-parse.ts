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
  | { kind: 'done'; conns: number; expects: number; seen: number };

type Event = ConntrackRecord['event'];

function event(f: string | undefined): Event | undefined {
  return f === 'NEW' || f === 'UPDATE' || f === 'DESTROY' ? f : f === '-' ? null : undefined;
}

/** A decimal field; NaN when it is not one, so one check at the end rejects the record. */
function num(f: string | undefined): number {
  return f !== undefined && f.length > 0 && f.length <= 20 ? Number(f) : Number.NaN;
}

/** Four fields from i: src dst sport dport; null when any is absent ("-"). */
function tuple(f: string[], i: number): Tuple | null {
  const src = f[i];
  const dst = f[i + 1];
  if (src === undefined || dst === undefined || src === '-' || dst === '-') return null;
  return { src, dst, sport: num(f[i + 2]), dport: num(f[i + 3]) };
}

const valid = (t: Tuple | null): t is Tuple =>
  t !== null && Number.isInteger(t.sport) && Number.isInteger(t.dport) && t.src !== '' && t.dst !== '';

/** C event at family timeout state orig(4) reply(4) flags helper id bytes master(4): 22 fields. */
function conntrack(f: string[]): ConntrackRecord | null {
  if (f.length !== 22) return null;
  const ev = event(f[1]);
  const at = f[2] === '-' ? null : num(f[2]);
  const timeout = num(f[4]);
  const orig = tuple(f, 6);
  const reply = tuple(f, 10);
  const flags = f[14] as string;
  const id = f[16] as string;
  const bytes = f[17] === '-' ? null : num(f[17]);
  const master = f[18] === '-' ? null : tuple(f, 18);
  if (
    ev === undefined ||
    (at !== null && !Number.isInteger(at)) ||
    (f[3] !== '4' && f[3] !== '6') ||
    !Number.isInteger(timeout) ||
    !valid(orig) ||
    !valid(reply) ||
    !/^\d{1,10}$/.test(id) ||
    (bytes !== null && !Number.isInteger(bytes)) ||
    (f[18] !== '-' && !valid(master))
  )
    return null;
  return {
    event: ev,
    at,
    family: f[3] === '6' ? 'ipv6' : 'ipv4',
    proto: 'tcp',
    timeout,
    state: f[5] === '-' ? null : (f[5] as string),
    orig,
    reply,
    unreplied: flags.includes('u'),
    assured: flags.includes('a'),
    helper: f[15] === '-' ? null : (f[15] as string),
    id,
    bytes,
    master,
  };
}

/** X event at family timeout protonum tuple(4) master(4) helper: 15 fields. */
function expectation(f: string[]): ExpectRecord | null {
  if (f.length !== 15) return null;
  const ev = event(f[1]);
  const at = f[2] === '-' ? null : num(f[2]);
  const timeout = num(f[4]);
  const protonum = num(f[5]);
  const t = tuple(f, 6);
  const master = tuple(f, 10);
  if (
    ev === undefined ||
    (at !== null && !Number.isInteger(at)) ||
    (f[3] !== '4' && f[3] !== '6') ||
    !Number.isInteger(timeout) ||
    !Number.isInteger(protonum) ||
    !valid(t) ||
    !valid(master)
  )
    return null;
  return {
    event: ev,
    at,
    family: f[3] === '6' ? 'ipv6' : 'ipv4',
    timeout,
    protonum,
    tuple: t,
    master,
    helper: f[14] === '-' ? null : (f[14] as string),
  };
}

/**
 * Parses one line of the native reader; null when it is not one (the caller counts it as unknown). Records
 * are tab-separated fields, cheaper to split than JSON is to parse (a resync lists up to 100k of them).
 */
export function parseReaderLine(line: string): ReaderLine | null {
  const f = line.split('\t');
  switch (f[0]) {
    case 'C': {
      const rec = conntrack(f);
      return rec ? { kind: 'ct', rec } : null;
    }
    case 'X': {
      const rec = expectation(f);
      return rec ? { kind: 'exp', rec } : null;
    }
    case 'R':
      return f.length === 3 ? { kind: 'ready', buffer: num(f[1]) || 0, kernelFilter: f[2] === '1' } : null;
    case 'L':
      return f.length === 2 ? { kind: 'loss', buffer: num(f[1]) || 0 } : null;
    case 'D':
      return f.length === 4
        ? { kind: 'done', conns: num(f[1]) || 0, expects: num(f[2]) || 0, seen: num(f[3]) || 0 }
        : null;
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
