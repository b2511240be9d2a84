-- The FTP dialogue of a session (commands with PASS/ACCT masked, and replies) as the collector last reported it
-- from the server log: the most recent lines, replaced whole by each report; `at` is the time of the last line,
-- `verbs` the transfer commands (LIST, RETR …) in order, what Investigate groups sessions by. As SQLite's 0012.
CREATE TABLE session_dialogues (
  host       text NOT NULL,
  session_id text NOT NULL,
  at         bigint NOT NULL,
  lines      jsonb NOT NULL,
  omitted    integer NOT NULL DEFAULT 0,
  verbs      text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (host, session_id)
);
CREATE INDEX session_dialogues_at ON session_dialogues (at);
