import type { SeriesPoint } from '@ftpscope/shared';

/** uPlot's columnar data: x in epoch seconds, then one y column per series. */
export type Columns = [number[], ...(number | null)[][]];

/**
 * Put several per-rule series on one bucket grid from `from` to `to` (ms) with `step` seconds, so
 * uPlot can draw them together. Missing buckets are 0: the hub omits buckets with no counter delta.
 */
export function alignSeries(
  series: readonly (readonly SeriesPoint[])[],
  from: number,
  to: number,
  step: number,
): Columns {
  const stepMs = step * 1000;
  const first = Math.floor(from / stepMs) * stepMs;
  const n = Math.max(1, Math.ceil((to - first) / stepMs));
  const xs = Array.from({ length: n }, (_, i) => (first + i * stepMs) / 1000);
  const ys = series.map((pts) => {
    const col = new Array<number>(n).fill(0);
    for (const p of pts) {
      const i = Math.floor((Date.parse(p.t) - first) / stepMs);
      if (i >= 0 && i < n) col[i] = (col[i] ?? 0) + p.packets;
    }
    return col;
  });
  return [xs, ...ys];
}
