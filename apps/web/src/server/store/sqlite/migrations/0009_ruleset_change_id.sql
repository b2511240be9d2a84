-- One id per ruleset change, assigned by the collector (RulesetEvent.changeId) and used by the API, the diagnoses'
-- evidence links and the UI. Changes stored before (or sent by collectors without changeId) are named by their
-- time, which is what rulesetChangeId() falls back to.
ALTER TABLE ruleset_changes ADD COLUMN change_id TEXT;
UPDATE ruleset_changes SET change_id = CAST(at AS TEXT) WHERE change_id IS NULL;
CREATE INDEX ruleset_changes_host_change_id ON ruleset_changes(host, change_id);
