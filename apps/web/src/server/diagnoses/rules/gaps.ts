import { GAP_AFTER_MS, GAP_BEFORE_MS } from '../thresholds.ts';
import type { HostWindow } from '../types.ts';

/**
 * Whether something that lasted from `from` to `to` overlaps a gap (events the collector lost): a
 * missing event in that span (the data SYN that used an expectation, the reply that established a
 * connection, the expectation itself) may just be lost, so its absence proves nothing.
 */
export function overlapsGap(w: HostWindow, from: number, to: number): boolean {
  return w.gaps.some((g) => g.at + GAP_AFTER_MS >= from && g.at - GAP_BEFORE_MS <= to);
}
