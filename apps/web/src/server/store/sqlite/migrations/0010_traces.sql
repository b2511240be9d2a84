-- On-demand traces (one client on one host, bounded in time, packets and bytes). The pcap lives in its own table,
-- not in a file under the data dir: it is small (at most TRACE_LIMITS.maxBytes), it then follows the database in
-- backups, retention (ON DELETE CASCADE) and a move to PostgreSQL, and listing traces never reads it.
CREATE TABLE traces (
  id           TEXT PRIMARY KEY,
  host         TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  client       TEXT NOT NULL,
  requested_by TEXT NOT NULL,                     -- JSON TraceRequester
  started_at   INTEGER NOT NULL,
  ended_at     INTEGER,
  duration_ms  INTEGER NOT NULL,
  end_reason   TEXT,
  error        TEXT,
  packets      INTEGER NOT NULL DEFAULT 0,
  pcap_bytes   INTEGER NOT NULL DEFAULT 0,
  tls          INTEGER NOT NULL DEFAULT 0,
  steps        TEXT NOT NULL DEFAULT '[]'         -- JSON TraceStep[] (passwords masked on the host)
);
CREATE INDEX traces_host_started ON traces(host, started_at);
CREATE INDEX traces_started ON traces(started_at);

CREATE TABLE trace_pcaps (
  trace_id TEXT PRIMARY KEY REFERENCES traces(id) ON DELETE CASCADE,
  pcap     BLOB NOT NULL
);
