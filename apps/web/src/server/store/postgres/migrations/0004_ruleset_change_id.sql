-- One id per ruleset change, assigned by the collector (RulesetEvent.changeId) and used by the API, the diagnoses'
-- evidence links and the UI (as SQLite's 0009). Older changes are named by their time, as rulesetChangeId() does.
ALTER TABLE ruleset_changes ADD COLUMN change_id text;
UPDATE ruleset_changes SET change_id = at::text WHERE change_id IS NULL;
CREATE INDEX ruleset_changes_host_change_id ON ruleset_changes (host, change_id);
