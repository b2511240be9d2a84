import { formatTime } from './format.ts';

/**
 * Ruleset-change markers over a chart. Changes closer than a marker's width would cover each other (a
 * manager's reload often writes two rulesets within a second, and the covered marker could not be clicked), so
 * they share one marker: it counts them and opens the first (where a burst began). The list of changes under
 * each chart holds every one.
 */

/** Markers closer than this (CSS px) would overlap (a marker counting changes, "Δ×3", is ~35 px wide). */
export const MARKER_GAP_PX = 40;

export interface ChangeMarker<C> {
  /** The changes under this marker, oldest first; the marker opens the first. */
  changes: C[];
  /** The marker's x, in px from the plot's left edge: where its first change is. */
  x: number;
}

/** Groups changes placed at `x` (px; NaN or outside [0, width] dropped) into non-overlapping markers. */
export function changeMarkers<C>(
  changes: readonly C[],
  x: (c: C) => number,
  width: number,
  gap = MARKER_GAP_PX,
): ChangeMarker<C>[] {
  const placed = changes
    .map((c) => ({ c, x: x(c) }))
    .filter((p) => p.x >= 0 && p.x <= width)
    .sort((a, b) => a.x - b.x);
  const out: ChangeMarker<C>[] = [];
  for (const p of placed) {
    const last = out.at(-1);
    if (last && p.x - last.x < gap) last.changes.push(p.c);
    else out.push({ changes: [p.c], x: p.x });
  }
  return out;
}

/** The marker's title: its change's time, or how many changes and from when to when. */
export function markerTitle(m: ChangeMarker<{ at: string }>, where = ''): string {
  const first = m.changes[0]?.at ?? '';
  const last = m.changes.at(-1)?.at ?? '';
  return m.changes.length === 1
    ? `Ruleset change${where} at ${formatTime(first)}`
    : `${m.changes.length} ruleset changes${where} ${formatTime(first)}–${formatTime(last)}`;
}
