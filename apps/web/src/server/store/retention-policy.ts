/** How long each kind of history is kept, in days. */
export interface RetentionPolicy {
  /** Raw rule samples and health samples (default 7). */
  rawDays: number;
  /** 1-minute rule rollups (default 90). */
  rollupDays: number;
  /** Sessions, expectations, data connections, drops, ruleset changes, gaps, resolved diagnoses (default 90). */
  historyDays: number;
}

/** Default retention: raw 7 d, rollups and history 90 d. */
export const DEFAULT_RETENTION: RetentionPolicy = { rawDays: 7, rollupDays: 90, historyDays: 90 };

/** One day in ms. */
export const DAY_MS = 86_400_000;
