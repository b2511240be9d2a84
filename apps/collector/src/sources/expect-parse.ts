import type { Family } from '@ftpscope/shared';
import { eventTime, isSummaryLine, type Tuple } from './conntrack-parse.ts';
import { int, lines, ParseAccumulator, type ParseResult } from './parse-result.ts';

/** A conntrack expectation as printed by `conntrack -L expect` / `conntrack -E expect -o timestamp`. */
export interface ExpectRecord {
  event: 'NEW' | 'UPDATE' | 'DESTROY' | null;
  at: number | null;
  family: Family;
  /** Seconds left before the expectation expires. */
  timeout: number;
  protonum: number;
  /** The expected connection (sport is 0: any source port). */
  tuple: Tuple;
  /** The original tuple of the control connection that created it. */
  master: Tuple;
  helper: string | null;
}

const EVENT = /^\s*(?:\[(\d+)\.(\d+)\s*\]\s+)?\[(NEW|UPDATE|DESTROY)\]\s+/;

/** Parses one expectation line; null when it is not one. */
export function parseExpectLine(line: string): ExpectRecord | null {
  let rest = line;
  let event: ExpectRecord['event'] = null;
  let at: number | null = null;
  const ev = EVENT.exec(rest);
  if (ev) {
    event = ev[3] as ExpectRecord['event'];
    if (ev[1] !== undefined && ev[2] !== undefined) at = eventTime(ev[1], ev[2]);
    rest = rest.slice(ev[0].length);
  }
  const words = rest.trim().split(/\s+/);
  const timeout = int(words[0]);
  if (timeout === null) return null;
  // Fields come in groups: tuple (src dst sport dport), mask (mask-src mask-dst sport dport), master (master-src ...).
  const groups: Record<string, Partial<Tuple>> = { tuple: {}, mask: {}, master: {} };
  let group: Partial<Tuple> | null = null;
  let protonum: number | null = null;
  let helper: string | null = null;
  for (const w of words.slice(1)) {
    const eq = w.indexOf('=');
    if (eq <= 0) return null;
    const k = w.slice(0, eq);
    const v = w.slice(eq + 1);
    if (k === 'proto') protonum = int(v);
    else if (k === 'src' || k === 'mask-src' || k === 'master-src') {
      group = groups[k === 'src' ? 'tuple' : k === 'mask-src' ? 'mask' : 'master'] as Partial<Tuple>;
      group.src = v;
    } else if (k === 'dst' || k === 'mask-dst' || k === 'master-dst') {
      if (group) group.dst = v;
    } else if ((k === 'sport' || k === 'dport') && group) {
      const n = int(v);
      if (n === null) return null;
      group[k] = n;
    } else if (k === 'helper') helper = v;
  }
  const tuple = groups.tuple as Partial<Tuple>;
  const master = groups.master as Partial<Tuple>;
  if (protonum === null || !full(tuple) || !full(master)) return null;
  return {
    event,
    at,
    family: tuple.src.includes(':') ? 'ipv6' : 'ipv4',
    timeout,
    protonum,
    tuple,
    master,
    helper,
  };
}

function full(t: Partial<Tuple>): t is Tuple {
  return t.src !== undefined && t.dst !== undefined && t.sport !== undefined && t.dport !== undefined;
}

/** Parses `conntrack -L expect` or `conntrack -E expect` output. */
export function parseExpect(text: string): ParseResult<ExpectRecord> {
  const acc = new ParseAccumulator<ExpectRecord>();
  for (const line of lines(text)) {
    if (isSummaryLine(line)) continue;
    const rec = parseExpectLine(line);
    if (rec) acc.add(rec);
    else acc.reject(line);
  }
  return acc.result();
}
