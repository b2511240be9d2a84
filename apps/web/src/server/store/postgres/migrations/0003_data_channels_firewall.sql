-- Data-channel attempts of sessions (PASV/EPSV/PORT/EPRT or seen only in the kernel) with their outcome, the
-- address a client asked for with HOST, the firewall manager each host's collector detected, and how each drop
-- was seen ('nflog' or 'trace', with the verdict a trace names). As SQLite's 0006 and 0007.
CREATE TABLE data_channels (
  host               text NOT NULL,
  id                 text NOT NULL,
  session_id         text NOT NULL,
  mode               text NOT NULL,
  command            text,
  address            text,
  port               integer,
  asked_at           bigint NOT NULL,
  outcome            text NOT NULL,
  settled_at         bigint,
  bytes              bigint,
  bytes_from         text,
  rule_id            text,
  drop_source        text,
  tied_by            text,
  expectation_id     text,
  data_connection_id text,
  reason             text,
  PRIMARY KEY (host, id)
);
CREATE INDEX data_channels_session ON data_channels (host, session_id);
CREATE INDEX data_channels_asked ON data_channels (asked_at);

ALTER TABLE sessions ADD COLUMN requested_host text;
ALTER TABLE sessions_done ADD COLUMN requested_host text;
CREATE OR REPLACE VIEW all_sessions AS
  SELECT host, id, family, client_ip, client_port, server_ip, server_port, state, helper, username, mode, tls,
    started_at, ended_at, requested_host FROM sessions
  UNION ALL
  SELECT host, id, family, client_ip, client_port, server_ip, server_port, state, helper, username, mode, tls,
    started_at, ended_at, requested_host FROM sessions_done;

CREATE TABLE firewall_info (
  host       text PRIMARY KEY,
  updated_at bigint NOT NULL,
  info       jsonb NOT NULL
);
ALTER TABLE drops ADD COLUMN source text;
ALTER TABLE drops ADD COLUMN verdict text;
