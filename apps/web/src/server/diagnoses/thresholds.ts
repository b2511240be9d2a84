/** How much recent activity the rules look at (sessions, drops, expectations). */
export const RECENT_MS = 60_000;
/** How far back counter samples and ruleset changes are kept, for the before/after comparison. */
export const HISTORY_MS = 15 * 60_000;
/** An expectation still unfulfilled this long after it was created counts as unused. */
export const UNUSED_AFTER_MS = 5_000;
/** A data connection without a reply this long after its SYN counts as failed. */
export const NOT_ESTABLISHED_AFTER_MS = 3_000;
/** Conntrack/expectation table fill (count/max) that alone is "full". */
export const TABLE_FULL_RATIO = 0.9;
/** Table fill that, with rising drop/early_drop, is "full". */
export const TABLE_BUSY_RATIO = 0.75;
/** Baseline needed before a ruleset change to say a drop rate rose. */
export const MIN_BASELINE_MS = 5_000;
/** Drops after a change needed (beyond the old rate) to count as a rise: one failed transfer drops 2-3 SYNs. */
export const MIN_EXTRA_DROPS = 2;
/** Largest number of evidence links of one type on one diagnosis. */
export const MAX_EVIDENCE_PER_TYPE = 5;
/** Events may be missing from this long before a reported gap (lost while the reader was behind)... */
export const GAP_BEFORE_MS = 10_000;
/** ...until this long after it (the collector's resync after the loss). */
export const GAP_AFTER_MS = 5_000;
