import type { Family } from '@ftpscope/shared';
import { int, lines, ParseAccumulator, type ParseResult } from './parse-result.ts';

/** One direction of a conntrack entry. */
export interface Tuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

/** A conntrack entry or event, as printed by `conntrack -L/-E -o id[,timestamp][,extended]` or by the native reader. */
export interface ConntrackRecord {
  /** NEW/UPDATE/DESTROY for events; null for a listing line. */
  event: 'NEW' | 'UPDATE' | 'DESTROY' | null;
  /** Event time (ms) from `-o timestamp`; null in listings. */
  at: number | null;
  family: Family;
  proto: string;
  /** Seconds until the entry times out. */
  timeout: number;
  /** TCP state; null for protocols without one. */
  state: string | null;
  orig: Tuple;
  reply: Tuple;
  unreplied: boolean;
  assured: boolean;
  helper: string | null;
  /** Kernel conntrack id; null without `-o id`. */
  id: string | null;
  /** Bytes in both directions, only present when nf_conntrack_acct is on. */
  bytes: number | null;
  /**
   * Original tuple of the control connection whose expectation created this one. Only the native reader
   * knows it (the kernel sends it in the NEW event and in listings; `conntrack` does not print it).
   */
  master: Tuple | null;
}

const EVENT = /^\s*(?:\[(\d+)\.(\d+)\s*\]\s+)?\[(NEW|UPDATE|DESTROY)\]\s+/;
/** `-o timestamp` prints `[seconds.microseconds]` with the microseconds not zero-padded (`[1795725764.35272 ]`). */
export function eventTime(sec: string, usec: string): number {
  return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
}

const SUMMARY =
  /^conntrack v[\d.]+ \(conntrack-tools\): \d+ (?:flow entries|flow events|expectations|expectation events) have been shown\.$/;

/** Parses one conntrack line; null when it is not an entry (the caller counts it as unknown). */
export function parseConntrackLine(line: string): ConntrackRecord | null {
  let rest = line;
  let event: ConntrackRecord['event'] = null;
  let at: number | null = null;
  const ev = EVENT.exec(rest);
  if (ev) {
    event = ev[3] as ConntrackRecord['event'];
    if (ev[1] !== undefined && ev[2] !== undefined) at = eventTime(ev[1], ev[2]);
    rest = rest.slice(ev[0].length);
  } else if (/^\s*\[/.test(rest)) {
    return null;
  }
  const words = rest.trim().split(/\s+/);
  let i = 0;
  let family: Family | null = null;
  if (words[0] === 'ipv4' || words[0] === 'ipv6') {
    family = words[0];
    i = 2;
  }
  const proto = words[i];
  const protonum = int(words[i + 1]);
  if (proto === undefined || !/^[a-z0-9-]+$/.test(proto) || protonum === null) return null;
  i += 2;
  // DESTROY events carry no timeout.
  const timeout = int(words[i]);
  if (timeout !== null) i++;
  let state: string | null = null;
  if (words[i] !== undefined && /^[A-Z_]+$/.test(words[i] as string)) state = words[i++] as string;
  const tuples: Partial<Tuple>[] = [];
  let cur: Partial<Tuple> | null = null;
  let unreplied = false;
  let assured = false;
  let helper: string | null = null;
  let id: string | null = null;
  let bytes: number | null = null;
  for (; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '[UNREPLIED]') unreplied = true;
    else if (w === '[ASSURED]') assured = true;
    else if (w.startsWith('[')) continue;
    else {
      const eq = w.indexOf('=');
      if (eq <= 0) return null;
      const k = w.slice(0, eq);
      const v = w.slice(eq + 1);
      if (k === 'src') {
        cur = { src: v };
        tuples.push(cur);
      } else if (k === 'dst' && cur) cur.dst = v;
      else if ((k === 'sport' || k === 'dport') && cur) {
        const n = int(v);
        if (n === null) return null;
        cur[k] = n;
      } else if (k === 'helper') helper = v;
      else if (k === 'id') id = v;
      else if (k === 'bytes') bytes = (bytes ?? 0) + (int(v) ?? 0);
    }
  }
  const [o, r] = tuples;
  if (!isTuple(o) || !isTuple(r)) return null;
  family ??= o.src.includes(':') ? 'ipv6' : 'ipv4';
  return {
    event,
    at,
    family,
    proto,
    timeout: timeout ?? 0,
    state,
    orig: o,
    reply: r,
    unreplied,
    assured,
    helper,
    id,
    bytes,
    master: null,
  };
}

function isTuple(t: Partial<Tuple> | undefined): t is Tuple {
  return t?.src !== undefined && t.dst !== undefined && t.sport !== undefined && t.dport !== undefined;
}

/** Parses conntrack output (listing or event stream); the "N entries have been shown" line is not unknown. */
export function parseConntrack(text: string): ParseResult<ConntrackRecord> {
  const acc = new ParseAccumulator<ConntrackRecord>();
  for (const line of lines(text)) {
    if (SUMMARY.test(line.trim())) continue;
    const rec = parseConntrackLine(line);
    if (rec) acc.add(rec);
    else acc.reject(line);
  }
  return acc.result();
}

/** True for the conntrack tool's end-of-output summary line. */
export function isSummaryLine(line: string): boolean {
  return SUMMARY.test(line.trim());
}
