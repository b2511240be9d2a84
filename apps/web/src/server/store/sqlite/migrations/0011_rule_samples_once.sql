-- One counter sample per rule and sample time: a collector that resends a poll (its snapshot after every
-- reconnect repeated the last one) is ignored instead of adding its deltas to the rollups again.
-- Duplicates stored before this migration are dropped (the first copy of each sample is kept); the rollups they
-- inflated are not recomputed (raw samples expire after 7 days, rollups cannot be split back into samples).
DELETE FROM rule_samples
WHERE rowid NOT IN (SELECT min(rowid) FROM rule_samples GROUP BY host, rule_id, at);
DROP INDEX rule_samples_rule_at;
CREATE UNIQUE INDEX rule_samples_rule_at ON rule_samples(host, rule_id, at);
