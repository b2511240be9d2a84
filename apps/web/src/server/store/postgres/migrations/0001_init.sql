-- ftpscope hub schema v1 on PostgreSQL. Times are epoch milliseconds (bigint); the REST API renders ISO-8601.
-- High-volume history is partitioned by day (range on a time column, partitions named <table>_pYYYYMMDD and a
-- <table>_pdefault for far-off times); retention drops whole partitions. Partitions are created by the hub
-- (postgres/partitions.ts), not here.

CREATE TABLE hosts (
  name              text PRIMARY KEY,
  kernel            text,
  backends          jsonb NOT NULL DEFAULT '[]',
  capabilities      jsonb NOT NULL DEFAULT '[]',
  collector_version text,
  connected         boolean NOT NULL DEFAULT false,
  last_seen         bigint,
  -- The hub the host's collector is attached to (several hubs may share this database).
  hub_id            text
);

-- Exactly-once bookkeeping: the highest sequence stored per collector spool (stream). Each batch locks its
-- stream's row (SELECT ... FOR UPDATE) in the transaction that stores it; owner_hub is the hub that attached
-- the stream last: another hub's writes are refused (the stream moved).
CREATE TABLE streams (
  host       text NOT NULL,
  stream_id  text NOT NULL,
  last_seq   bigint NOT NULL DEFAULT 0,
  updated_at bigint NOT NULL,
  owner_hub  text,
  PRIMARY KEY (host, stream_id)
);

-- Open sessions and those finished in the last hour: the upsert target. Older finished sessions move to
-- sessions_done (partitioned by ended_at) in the retention round; reads see both through all_sessions.
CREATE TABLE sessions (
  host        text NOT NULL,
  id          text NOT NULL,
  family      text NOT NULL,
  client_ip   text NOT NULL,
  client_port integer NOT NULL,
  server_ip   text NOT NULL,
  server_port integer NOT NULL,
  state       text NOT NULL,
  helper      text,
  username    text,
  mode        text NOT NULL,
  tls         boolean NOT NULL,
  started_at  bigint NOT NULL,
  ended_at    bigint,
  PRIMARY KEY (host, id)
);
CREATE INDEX sessions_id ON sessions (id);
CREATE INDEX sessions_host_started ON sessions (host, started_at);
CREATE INDEX sessions_open ON sessions (host) WHERE ended_at IS NULL;
CREATE INDEX sessions_client ON sessions (client_ip, started_at);
CREATE INDEX sessions_user ON sessions (username, started_at) WHERE username IS NOT NULL;
CREATE INDEX sessions_ended ON sessions (ended_at) WHERE ended_at IS NOT NULL;

CREATE TABLE sessions_done (
  host        text NOT NULL,
  id          text NOT NULL,
  family      text NOT NULL,
  client_ip   text NOT NULL,
  client_port integer NOT NULL,
  server_ip   text NOT NULL,
  server_port integer NOT NULL,
  state       text NOT NULL,
  helper      text,
  username    text,
  mode        text NOT NULL,
  tls         boolean NOT NULL,
  started_at  bigint NOT NULL,
  ended_at    bigint NOT NULL,
  PRIMARY KEY (host, id, ended_at)
) PARTITION BY RANGE (ended_at);
CREATE INDEX sessions_done_id ON sessions_done (id);
CREATE INDEX sessions_done_host_started ON sessions_done (host, started_at);
CREATE INDEX sessions_done_client ON sessions_done (client_ip, started_at);
CREATE INDEX sessions_done_user ON sessions_done (username, started_at) WHERE username IS NOT NULL;

CREATE VIEW all_sessions AS
  SELECT host, id, family, client_ip, client_port, server_ip, server_port, state, helper, username, mode, tls,
    started_at, ended_at FROM sessions
  UNION ALL
  SELECT host, id, family, client_ip, client_port, server_ip, server_port, state, helper, username, mode, tls,
    started_at, ended_at FROM sessions_done;

CREATE TABLE expectations (
  host         text NOT NULL,
  id           text NOT NULL,
  session_id   text,
  family       text NOT NULL,
  src          text NOT NULL,
  dst          text NOT NULL,
  port         integer NOT NULL,
  mode         text NOT NULL,
  created_at   bigint NOT NULL,
  timeout      integer NOT NULL,
  seen_at      bigint NOT NULL,
  fulfilled_at bigint,
  expired_at   bigint,
  PRIMARY KEY (host, id)
);
CREATE INDEX expectations_session ON expectations (host, session_id);
CREATE INDEX expectations_created ON expectations (created_at);

CREATE TABLE data_connections (
  host           text NOT NULL,
  id             text NOT NULL,
  session_id     text,
  expectation_id text,
  attribution    text NOT NULL,
  mode           text NOT NULL,
  client_port    integer NOT NULL,
  server_port    integer NOT NULL,
  state          text NOT NULL,
  established    boolean NOT NULL,
  related        boolean NOT NULL,
  started_at     bigint NOT NULL,
  ended_at       bigint,
  bytes          bigint,
  PRIMARY KEY (host, id)
);
CREATE INDEX data_session ON data_connections (host, session_id);
CREATE INDEX data_started ON data_connections (started_at);

-- Current rule definitions and counter totals; removed rules keep their row (removed_at) for history.
CREATE TABLE rules (
  host        text NOT NULL,
  id          text NOT NULL,
  backend     text NOT NULL,
  family      text NOT NULL,
  tbl         text NOT NULL,
  chain       text NOT NULL,
  position    integer NOT NULL,
  text        text NOT NULL,
  verdict     text NOT NULL,
  is_policy   boolean NOT NULL,
  comment     text,
  packets     bigint NOT NULL DEFAULT 0,
  bytes       bigint NOT NULL DEFAULT 0,
  counters_at bigint,
  seen_at     bigint NOT NULL,
  removed_at  bigint,
  PRIMARY KEY (host, id)
);

-- Raw counter deltas, one row per rule per poll (kept 7 days by default).
CREATE TABLE rule_samples (
  host      text NOT NULL,
  rule_id   text NOT NULL,
  at        bigint NOT NULL,
  packets   bigint NOT NULL,
  bytes     bigint NOT NULL,
  d_packets bigint NOT NULL,
  d_bytes   bigint NOT NULL
) PARTITION BY RANGE (at);
CREATE INDEX rule_samples_rule_at ON rule_samples (host, rule_id, at);

-- Deltas summed per minute (kept 90 days by default).
CREATE TABLE rule_rollup_1m (
  host      text NOT NULL,
  rule_id   text NOT NULL,
  bucket    bigint NOT NULL,
  d_packets bigint NOT NULL,
  d_bytes   bigint NOT NULL,
  PRIMARY KEY (host, rule_id, bucket)
) PARTITION BY RANGE (bucket);
-- The timeline reads the minutes of drop rules in time order and stops after 2,001: without this it sorts the
-- whole window's rollups of every host involved.
CREATE INDEX rule_rollup_bucket ON rule_rollup_1m (bucket);

-- A change found by a poll alone (iptables-legacy has no change notifications) happened after not_before and by
-- at; NULL when nf_tables announced it at `at`.
CREATE TABLE ruleset_changes (
  id         bigserial PRIMARY KEY,
  host       text NOT NULL,
  at         bigint NOT NULL,
  not_before bigint,
  diff       jsonb NOT NULL
);
CREATE INDEX ruleset_changes_host_at ON ruleset_changes (host, at);
CREATE INDEX ruleset_changes_at ON ruleset_changes (at);

CREATE SEQUENCE drops_id_seq;
CREATE TABLE drops (
  id      bigint NOT NULL DEFAULT nextval('drops_id_seq'),
  host    text NOT NULL,
  at      bigint NOT NULL,
  grp     integer NOT NULL,
  rule_id text,
  prefix  text,
  proto   text NOT NULL,
  src     text NOT NULL,
  dst     text NOT NULL,
  sport   integer,
  dport   integer,
  flags   text,
  PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE INDEX drops_host_at ON drops (host, at);
CREATE INDEX drops_src_at ON drops (src, at);
CREATE INDEX drops_dst_at ON drops (dst, at);
CREATE INDEX drops_at ON drops (at);

CREATE SEQUENCE health_samples_id_seq;
CREATE TABLE health_samples (
  id     bigint NOT NULL DEFAULT nextval('health_samples_id_seq'),
  host   text NOT NULL,
  at     bigint NOT NULL,
  health jsonb NOT NULL
) PARTITION BY RANGE (at);
CREATE INDEX health_host_at ON health_samples (host, at);

CREATE TABLE ftp_settings (
  host       text PRIMARY KEY,
  updated_at bigint NOT NULL,
  settings   jsonb NOT NULL
);

CREATE TABLE gaps (
  id       bigserial PRIMARY KEY,
  host     text NOT NULL,
  at       bigint NOT NULL,
  source   text NOT NULL,
  reason   text NOT NULL,
  from_seq bigint,
  to_seq   bigint
);
CREATE INDEX gaps_host_at ON gaps (host, at);
CREATE INDEX gaps_at ON gaps (at);

-- Filled by the diagnoses engine; one row per occurrence `<key>@<first_seen>`, updated while it stays open.
CREATE TABLE diagnoses (
  id          text PRIMARY KEY,
  kind        text NOT NULL,
  host        text NOT NULL,
  severity    text NOT NULL,
  title       text NOT NULL,
  explanation text NOT NULL,
  evidence    jsonb NOT NULL,
  fix         jsonb NOT NULL,
  first_seen  bigint NOT NULL,
  last_seen   bigint NOT NULL,
  resolved_at bigint
);
CREATE INDEX diagnoses_host ON diagnoses (host, first_seen);
CREATE INDEX diagnoses_open ON diagnoses (host) WHERE resolved_at IS NULL;
CREATE INDEX diagnoses_resolved ON diagnoses (resolved_at) WHERE resolved_at IS NOT NULL;

-- Open expectations per host (the fleet's live counts) without reading a host's whole history.
CREATE INDEX expectations_open ON expectations (host) WHERE fulfilled_at IS NULL AND expired_at IS NULL;
