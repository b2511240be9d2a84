-- The FTP dialogue of a session (commands with PASS/ACCT masked, and replies) as the collector last reported it
-- from the server log: the most recent lines, replaced whole by each report. `at` is the time of the last line.
CREATE TABLE IF NOT EXISTS session_dialogues (
  host       TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  session_id TEXT NOT NULL,
  at         INTEGER NOT NULL,
  lines      TEXT NOT NULL,                      -- JSON array of DialogueLine
  omitted    INTEGER NOT NULL DEFAULT 0,
  verbs      TEXT NOT NULL DEFAULT '[]',         -- JSON array: LIST, RETR, STOR … in order (what the list groups by)
  PRIMARY KEY (host, session_id)
);
CREATE INDEX IF NOT EXISTS session_dialogues_at ON session_dialogues(at);
