import type { RuleCounter } from '@ftpscope/shared';

/** A rule's counter totals as the hub stored them last, and the sample time they are from (null: none yet). */
export interface StoredTotals {
  packets: number;
  bytes: number;
  at: number | null;
}

/**
 * The deltas to store for one counter sample, the same on every engine: the change since the totals the hub
 * stored last (a lower total is a reset, counted from zero), so the stored deltas add up to the kernel's
 * counter across restarts of the collector (its first poll after says 0) and of the hub; the collector's own
 * delta only for a rule's first sample; 0 for a sample older than the stored totals (their delta covers it).
 * Returns the totals to compare the next sample of the rule with.
 */
export function storedDelta(
  prev: StoredTotals | undefined,
  at: number,
  c: RuleCounter,
): { dPackets: number; dBytes: number; next: StoredTotals } {
  if (!prev || prev.at === null)
    return { dPackets: c.dPackets, dBytes: c.dBytes, next: { packets: c.packets, bytes: c.bytes, at } };
  if (at <= prev.at) return { dPackets: 0, dBytes: 0, next: prev };
  return {
    dPackets: c.packets >= prev.packets ? c.packets - prev.packets : c.packets,
    dBytes: c.bytes >= prev.bytes ? c.bytes - prev.bytes : c.bytes,
    next: { packets: c.packets, bytes: c.bytes, at },
  };
}
