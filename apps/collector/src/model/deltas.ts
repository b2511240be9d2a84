/** Counter deltas per key: the first sample yields 0; a counter that went down was reset, so the delta is its new value. */
export class DeltaTracker {
  private readonly last = new Map<string, { packets: number; bytes: number }>();

  /** Records a sample and returns the increase since the previous one. */
  update(key: string, packets: number, bytes: number): { dPackets: number; dBytes: number } {
    const prev = this.last.get(key);
    this.last.set(key, { packets, bytes });
    if (!prev) return { dPackets: 0, dBytes: 0 };
    if (packets < prev.packets || bytes < prev.bytes) return { dPackets: packets, dBytes: bytes };
    return { dPackets: packets - prev.packets, dBytes: bytes - prev.bytes };
  }

  /** Forgets keys not in `keep` (rules that were deleted), so memory follows the ruleset. */
  retain(keep: ReadonlySet<string>): void {
    for (const k of this.last.keys()) if (!keep.has(k)) this.last.delete(k);
  }
}
