import type { DroppedPacket } from '@ftpscope/shared';
import type { DropRecord, GapRecord } from './records.ts';

// Drop and gap rows have the same columns on both engines (migrations 0001 of each); one mapping serves both.

/** A stored dropped packet. */
export interface DropRow {
  id: number;
  host: string;
  at: number;
  grp: number;
  rule_id: string | null;
  prefix: string | null;
  proto: string;
  src: string;
  dst: string;
  sport: number | null;
  dport: number | null;
  flags: string | null;
  source: 'nflog' | 'trace' | null;
  verdict: DroppedPacket['verdict'] | null;
}

/** A stored gap. */
export interface GapRow {
  id: number;
  host: string;
  at: number;
  source: string;
  reason: string;
  from_seq: number | null;
  to_seq: number | null;
}

/** A stored drop as a record. */
export function toDropRecord(r: DropRow): DropRecord {
  return {
    id: r.id,
    host: r.host,
    at: r.at,
    group: r.grp,
    ruleId: r.rule_id,
    prefix: r.prefix,
    proto: r.proto,
    src: r.src,
    dst: r.dst,
    sport: r.sport,
    dport: r.dport,
    flags: r.flags,
    ...(r.source ? { source: r.source } : {}),
    ...(r.verdict ? { verdict: r.verdict } : {}),
  };
}

/** A stored gap as a record. */
export function toGapRecord(r: GapRow): GapRecord {
  return {
    id: r.id,
    host: r.host,
    at: r.at,
    source: r.source,
    reason: r.reason,
    fromSeq: r.from_seq,
    toSeq: r.to_seq,
  };
}
