const MINUTE = 60_000;

/** Raw samples answer ranges up to this long; longer ranges read the 1-minute rollups. */
export const RAW_TIER_MAX_MS = 6 * 60 * MINUTE;

/** The buckets a series query reads: the rollup tier snaps step and start to whole minutes. */
export function seriesGrid(
  from: number,
  to: number,
  stepMs: number,
): { tier: 'raw' | '1m'; start: number; step: number; count: number } {
  const tier = to - from <= RAW_TIER_MAX_MS ? 'raw' : '1m';
  const step = tier === 'raw' ? stepMs : Math.ceil(stepMs / MINUTE) * MINUTE;
  const start = tier === 'raw' ? from : Math.floor(from / MINUTE) * MINUTE;
  return { tier, start, step, count: Math.ceil((to - start) / step) };
}

/** Fills the grid from per-bucket sums (index → packets, bytes); missing buckets are zeros. */
export function fillGrid(
  grid: { start: number; step: number; count: number },
  rows: { i: number; p: number; b: number }[],
): { t: number; packets: number; bytes: number }[] {
  const byIndex = new Map(rows.map((r) => [Number(r.i), r]));
  const out: { t: number; packets: number; bytes: number }[] = [];
  for (let i = 0; i < grid.count; i++) {
    const r = byIndex.get(i);
    out.push({ t: grid.start + i * grid.step, packets: Number(r?.p ?? 0), bytes: Number(r?.b ?? 0) });
  }
  return out;
}
