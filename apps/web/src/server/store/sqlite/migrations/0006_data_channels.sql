-- Data-channel attempts of sessions (PASV/EPSV/PORT/EPRT or seen only in the kernel) with their outcome, and
-- the address a client asked for with HOST. Times are epoch milliseconds.
CREATE TABLE data_channels (
  host               TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  id                 TEXT NOT NULL,
  session_id         TEXT NOT NULL,
  mode               TEXT NOT NULL,
  command            TEXT,
  address            TEXT,
  port               INTEGER,
  asked_at           INTEGER NOT NULL,
  outcome            TEXT NOT NULL,
  settled_at         INTEGER,
  bytes              INTEGER,
  bytes_from         TEXT,
  rule_id            TEXT,
  drop_source        TEXT,
  tied_by            TEXT,
  expectation_id     TEXT,
  data_connection_id TEXT,
  reason             TEXT,
  PRIMARY KEY (host, id)
);
CREATE INDEX data_channels_session ON data_channels(host, session_id);
CREATE INDEX data_channels_asked ON data_channels(asked_at);

ALTER TABLE sessions ADD COLUMN requested_host TEXT;
