-- Collector tokens issued by the hub itself ("Add FTP host" in the UI, the API, `hub tokens add`): one per host,
-- stored as the SHA-256 of the token (the token is shown once, at creation). Revoked tokens stay for the record.
CREATE TABLE collector_tokens (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  hash BLOB NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX collector_tokens_host ON collector_tokens (host);
