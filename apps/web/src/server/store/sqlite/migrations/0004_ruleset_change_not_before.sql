-- A change found by a poll alone (iptables-legacy has no change notifications) happened after not_before and by
-- at; NULL when nf_tables announced it at `at`.
ALTER TABLE ruleset_changes ADD COLUMN not_before INTEGER;
