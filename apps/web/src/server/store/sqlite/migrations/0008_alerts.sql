-- Alert outbox: written with the diagnosis transition, sent once, marked sent after delivery, so an alert
-- survives a restart of the hub between the transition and the webhook's answer.
CREATE TABLE alerts (
  key        TEXT PRIMARY KEY,
  host       TEXT NOT NULL,
  event      TEXT NOT NULL,
  diagnosis  TEXT NOT NULL,                      -- JSON Diagnosis
  created_at INTEGER NOT NULL,
  claimed_by TEXT,
  sent_at    INTEGER
);
CREATE INDEX alerts_pending ON alerts (created_at) WHERE sent_at IS NULL;
CREATE INDEX alerts_sent ON alerts (sent_at) WHERE sent_at IS NOT NULL;
