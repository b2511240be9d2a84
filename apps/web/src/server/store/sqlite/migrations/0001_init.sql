-- ftpscope hub schema v1. Times are epoch milliseconds (INTEGER); the REST API renders ISO-8601.

CREATE TABLE hosts (
  name       TEXT PRIMARY KEY,
  kernel     TEXT,
  backends   TEXT NOT NULL DEFAULT '[]',         -- JSON array of Backend
  capabilities TEXT NOT NULL DEFAULT '[]',       -- JSON array
  collector_version TEXT,
  connected  INTEGER NOT NULL DEFAULT 0,
  last_seen  INTEGER
);

-- Exactly-once bookkeeping: the highest sequence stored per collector spool (stream).
CREATE TABLE streams (
  host      TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  stream_id TEXT NOT NULL,
  last_seq  INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (host, stream_id)
);

CREATE TABLE sessions (
  host        TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  family      TEXT NOT NULL,
  client_ip   TEXT NOT NULL,
  client_port INTEGER NOT NULL,
  server_ip   TEXT NOT NULL,
  server_port INTEGER NOT NULL,
  state       TEXT NOT NULL,
  helper      TEXT,
  user        TEXT,
  mode        TEXT NOT NULL,
  tls         INTEGER NOT NULL,
  started_at  INTEGER NOT NULL,
  ended_at    INTEGER,
  PRIMARY KEY (host, id)
);
CREATE INDEX sessions_id ON sessions(id);
CREATE INDEX sessions_host_started ON sessions(host, started_at);
CREATE INDEX sessions_open ON sessions(host) WHERE ended_at IS NULL;
CREATE INDEX sessions_client ON sessions(client_ip, started_at);
CREATE INDEX sessions_user ON sessions(user, started_at) WHERE user IS NOT NULL;
CREATE INDEX sessions_ended ON sessions(ended_at) WHERE ended_at IS NOT NULL;

CREATE TABLE expectations (
  host         TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  id           TEXT NOT NULL,
  session_id   TEXT,
  family       TEXT NOT NULL,
  src          TEXT NOT NULL,
  dst          TEXT NOT NULL,
  port         INTEGER NOT NULL,
  mode         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  timeout      INTEGER NOT NULL,
  fulfilled_at INTEGER,
  expired_at   INTEGER,
  PRIMARY KEY (host, id)
);
CREATE INDEX expectations_session ON expectations(host, session_id);
CREATE INDEX expectations_created ON expectations(created_at);

CREATE TABLE data_connections (
  host           TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  id             TEXT NOT NULL,
  session_id     TEXT,
  expectation_id TEXT,
  attribution    TEXT NOT NULL,
  mode           TEXT NOT NULL,
  client_port    INTEGER NOT NULL,
  server_port    INTEGER NOT NULL,
  state          TEXT NOT NULL,
  established    INTEGER NOT NULL,
  related        INTEGER NOT NULL,
  started_at     INTEGER NOT NULL,
  ended_at       INTEGER,
  bytes          INTEGER,
  PRIMARY KEY (host, id)
);
CREATE INDEX data_session ON data_connections(host, session_id);
CREATE INDEX data_started ON data_connections(started_at);

-- Current rule definitions and counter totals; removed rules keep their row (removed_at) for history.
CREATE TABLE rules (
  host       TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  backend    TEXT NOT NULL,
  family     TEXT NOT NULL,
  tbl        TEXT NOT NULL,
  chain      TEXT NOT NULL,
  position   INTEGER NOT NULL,
  text       TEXT NOT NULL,
  verdict    TEXT NOT NULL,
  is_policy  INTEGER NOT NULL,
  comment    TEXT,
  packets    INTEGER NOT NULL DEFAULT 0,
  bytes      INTEGER NOT NULL DEFAULT 0,
  counters_at INTEGER,
  seen_at    INTEGER NOT NULL,
  removed_at INTEGER,
  PRIMARY KEY (host, id)
);

-- Raw counter deltas, one row per rule per poll (kept 7 days by default).
CREATE TABLE rule_samples (
  host      TEXT NOT NULL,
  rule_id   TEXT NOT NULL,
  at        INTEGER NOT NULL,
  packets   INTEGER NOT NULL,
  bytes     INTEGER NOT NULL,
  d_packets INTEGER NOT NULL,
  d_bytes   INTEGER NOT NULL
);
CREATE INDEX rule_samples_rule_at ON rule_samples(host, rule_id, at);
CREATE INDEX rule_samples_at ON rule_samples(at);

-- Deltas summed per minute (kept 90 days by default).
CREATE TABLE rule_rollup_1m (
  host      TEXT NOT NULL,
  rule_id   TEXT NOT NULL,
  bucket    INTEGER NOT NULL,
  d_packets INTEGER NOT NULL,
  d_bytes   INTEGER NOT NULL,
  UNIQUE (host, rule_id, bucket)
);
CREATE INDEX rule_rollup_bucket ON rule_rollup_1m(bucket);

CREATE TABLE ruleset_changes (
  id   INTEGER PRIMARY KEY,
  host TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  at   INTEGER NOT NULL,
  diff TEXT NOT NULL                              -- JSON RulesetDiff
);
CREATE INDEX ruleset_changes_host_at ON ruleset_changes(host, at);
CREATE INDEX ruleset_changes_at ON ruleset_changes(at);

CREATE TABLE drops (
  id      INTEGER PRIMARY KEY,
  host    TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  at      INTEGER NOT NULL,
  grp     INTEGER NOT NULL,
  rule_id TEXT,
  prefix  TEXT,
  proto   TEXT NOT NULL,
  src     TEXT NOT NULL,
  dst     TEXT NOT NULL,
  sport   INTEGER,
  dport   INTEGER,
  flags   TEXT
);
CREATE INDEX drops_at ON drops(at);
CREATE INDEX drops_host_at ON drops(host, at);
CREATE INDEX drops_src_at ON drops(src, at);
CREATE INDEX drops_dst_at ON drops(dst, at);

CREATE TABLE health_samples (
  id     INTEGER PRIMARY KEY,
  host   TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  at     INTEGER NOT NULL,
  health TEXT NOT NULL                            -- JSON NetfilterHealth
);
CREATE INDEX health_host_at ON health_samples(host, at);
CREATE INDEX health_at ON health_samples(at);

CREATE TABLE ftp_settings (
  host       TEXT PRIMARY KEY REFERENCES hosts(name) ON DELETE CASCADE,
  updated_at INTEGER NOT NULL,
  settings   TEXT NOT NULL                        -- JSON FtpServerSettings
);

CREATE TABLE gaps (
  id       INTEGER PRIMARY KEY,
  host     TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  at       INTEGER NOT NULL,
  source   TEXT NOT NULL,
  reason   TEXT NOT NULL,
  from_seq INTEGER,
  to_seq   INTEGER
);
CREATE INDEX gaps_host_at ON gaps(host, at);
CREATE INDEX gaps_at ON gaps(at);

-- Filled by the diagnoses engine; one row per diagnosis id, updated while it stays open.
CREATE TABLE diagnoses (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  host        TEXT NOT NULL,
  severity    TEXT NOT NULL,
  title       TEXT NOT NULL,
  explanation TEXT NOT NULL,
  evidence    TEXT NOT NULL,                      -- JSON EvidenceLink[]
  fix         TEXT NOT NULL,                      -- JSON string[]
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  resolved_at INTEGER
);
CREATE INDEX diagnoses_host ON diagnoses(host, first_seen);
CREATE INDEX diagnoses_open ON diagnoses(host) WHERE resolved_at IS NULL;
CREATE INDEX diagnoses_resolved ON diagnoses(resolved_at) WHERE resolved_at IS NOT NULL;
