-- One counter sample per rule and sample time (as SQLite's migration 0011): a collector that resends a poll (its
-- snapshot after every reconnect repeated the last one) is ignored instead of adding its deltas to the rollups
-- again. Duplicates stored before are dropped, the first copy kept; the rollups they inflated are not recomputed.
-- A duplicate has the same sample time, so it lies in the same partition as its original.
DELETE FROM rule_samples a USING rule_samples b
WHERE a.tableoid = b.tableoid AND a.ctid > b.ctid
  AND a.host = b.host AND a.rule_id = b.rule_id AND a.at = b.at;
DROP INDEX rule_samples_rule_at;
CREATE UNIQUE INDEX rule_samples_rule_at ON rule_samples (host, rule_id, at);
