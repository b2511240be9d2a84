/** Median, min and max of several runs: the three numbers every figure reports. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** The p-th percentile (0..100) by nearest rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

/** Median and range of the runs of one measurement. */
export function summarize(samples: readonly number[]): Summary {
  return {
    median: percentile(samples, 50),
    min: Math.min(...samples),
    max: Math.max(...samples),
    runs: samples.length,
  };
}

/** Ratio of two medians, measured in the same run (so machine noise affects both alike). */
export function ratio(value: Summary, baseline: Summary): number {
  return baseline.median === 0 ? Number.NaN : value.median / baseline.median;
}
