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

const EVENTS = new Set(['NEW', 'UPDATE', 'DESTROY', null]);

function isTuple(t: unknown): t is Tuple {
  const x = t as Tuple | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof x.src === 'string' &&
    typeof x.dst === 'string' &&
    Number.isInteger(x.sport) &&
    Number.isInteger(x.dport)
  );
}

function isConntrack(r: ConntrackRecord): boolean {
  return (
    EVENTS.has(r.event) &&
    (r.family === 'ipv4' || r.family === 'ipv6') &&
    typeof r.proto === 'string' &&
    Number.isInteger(r.timeout) &&
    isTuple(r.orig) &&
    isTuple(r.reply) &&
    typeof r.id === 'string' &&
    (r.master === null || isTuple(r.master))
  );
}

function isExpect(r: ExpectRecord): boolean {
  return (
    EVENTS.has(r.event) &&
    (r.family === 'ipv4' || r.family === 'ipv6') &&
    Number.isInteger(r.protonum) &&
    isTuple(r.tuple) &&
    isTuple(r.master)
  );
}

/**
 * Parses one line of the native reader; null when it is not one (the caller counts it as unknown). The
 * records are already in the collector's shapes, so a line costs one JSON.parse and a few type checks.
 */
export function parseReaderLine(line: string): ReaderLine | null {
  const tag = line.charCodeAt(0);
  if (line.charCodeAt(1) !== 32 || line.length < 4) return null;
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(line.slice(2)) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  switch (tag) {
    case 67: // C
      return isConntrack(v as unknown as ConntrackRecord)
        ? { kind: 'ct', rec: v as unknown as ConntrackRecord }
        : null;
    case 88: // X
      return isExpect(v as unknown as ExpectRecord)
        ? { kind: 'exp', rec: v as unknown as ExpectRecord }
        : null;
    case 82: // R
      return { kind: 'ready', buffer: Number(v.buffer) || 0, kernelFilter: v.kernelFilter === true };
    case 76: // L
      return { kind: 'loss', buffer: Number(v.buffer) || 0 };
    case 68: // D
      return {
        kind: 'done',
        conns: Number(v.conns) || 0,
        expects: Number(v.expects) || 0,
        seen: Number(v.seen) || 0,
      };
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
