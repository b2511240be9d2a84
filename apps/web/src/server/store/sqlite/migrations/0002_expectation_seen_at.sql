-- When the collector last reported each expectation (its batch's sentAt): `timeout` (seconds left then) counts
-- down from here. NULL for rows stored before this migration: readers fall back to created_at.
ALTER TABLE expectations ADD COLUMN seen_at INTEGER;
