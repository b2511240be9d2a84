-- On-demand traces (as SQLite's 0010): the pcap (at most TRACE_LIMITS.maxBytes) in its own table, so it follows the
-- database in backups and retention and every hub sharing the database can serve it; listing never reads it.
CREATE TABLE traces (
  id           text PRIMARY KEY,
  host         text NOT NULL,
  client       text NOT NULL,
  requested_by jsonb NOT NULL,
  started_at   bigint NOT NULL,
  ended_at     bigint,
  duration_ms  integer NOT NULL,
  end_reason   text,
  error        text,
  packets      integer NOT NULL DEFAULT 0,
  pcap_bytes   integer NOT NULL DEFAULT 0,
  tls          boolean NOT NULL DEFAULT false,
  steps        jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX traces_host_started ON traces (host, started_at);
CREATE INDEX traces_started ON traces (started_at);

CREATE TABLE trace_pcaps (
  trace_id text PRIMARY KEY REFERENCES traces (id) ON DELETE CASCADE,
  pcap     bytea NOT NULL
);
