import type { NetfilterHealth } from '@ftpscope/shared';
import { TABLE_BUSY_RATIO, TABLE_FULL_RATIO } from '../thresholds.ts';
import type { HostWindow } from '../types.ts';
import { recentFrom } from './activity.ts';

/** Rise of some `conntrack -S` totals over the recent window (a counter that went down is a reset: 0). */
export function statsRise(w: HostWindow, now: number, keys: string[]): number {
  const from = recentFrom(now);
  const inWindow = w.health.filter((h) => h.at >= from);
  const last = inWindow.at(-1);
  const before = w.health.filter((h) => h.at < from).at(-1) ?? inWindow[0];
  if (!last || !before || last === before) return 0;
  let rise = 0;
  for (const k of keys) {
    const d = (last.stats[k] ?? 0) - (before.stats[k] ?? 0);
    if (d > 0) rise += d;
  }
  return rise;
}

/** count/max, or 0 when the maximum is unknown. */
export function fill(count: number, max: number): number {
  return max > 0 ? count / max : 0;
}

/** Whether a table is full: near its max, or busy with drops rising. */
export function isFull(ratio: number, rise: number): boolean {
  return ratio >= TABLE_FULL_RATIO || (ratio >= TABLE_BUSY_RATIO && rise > 0);
}

/** "80 %" */
export function percent(ratio: number): string {
  return `${Math.round(ratio * 100)} %`;
}

/** The health sample fields a table-full rule reads. */
export type TableSample = Pick<
  NetfilterHealth,
  'conntrackCount' | 'conntrackMax' | 'expectCount' | 'expectMax'
>;
