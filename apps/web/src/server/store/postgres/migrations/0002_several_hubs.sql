-- Several hubs on one database: which hub is alive, which serves a host, which evaluates a host's diagnoses,
-- which alerts are still to send, and the batches other hubs' browsers read after a notification.

-- Every hub writes its heartbeat every 2 s; one not seen for 10 s is gone (kill -9, network). `live`: the hosts
-- its browsers follow (JSON array, or "*"): the other hubs publish their batches of these hosts only.
CREATE TABLE hubs (
  id         text PRIMARY KEY,
  started_at bigint NOT NULL,
  seen_at    bigint NOT NULL,
  live       jsonb
);

-- The collector stream a host is reported by: another stream of the same host is refused while that
-- hub lives.
ALTER TABLE hosts ADD COLUMN stream_id text;

-- One hub at a time evaluates a host's diagnoses: the one holding its lease (renewed every evaluation).
CREATE TABLE host_leases (
  host       text PRIMARY KEY,
  hub_id     text NOT NULL,
  expires_at bigint NOT NULL
);

-- Alert outbox: written in the transaction that stores the diagnosis transition, sent once by one hub
-- (claimed_by), marked sent after delivery; a dead hub's claims are taken over.
CREATE TABLE alerts (
  key        text PRIMARY KEY,
  host       text NOT NULL,
  event      text NOT NULL,
  diagnosis  jsonb NOT NULL,
  created_at bigint NOT NULL,
  claimed_by text,
  sent_at    bigint
);
CREATE INDEX alerts_pending ON alerts (created_at) WHERE sent_at IS NULL;
CREATE INDEX alerts_sent ON alerts (sent_at) WHERE sent_at IS NOT NULL;

-- The events of each stored batch for a minute: a notification carries only (host, stream, seq) and the
-- other hubs read the events here. Unlogged: losing it in a crash only loses live updates, never history.
CREATE UNLOGGED TABLE live_batches (
  host      text NOT NULL,
  stream_id text NOT NULL,
  seq       bigint NOT NULL,
  at        bigint NOT NULL,
  events    json NOT NULL,
  PRIMARY KEY (host, stream_id, seq)
);
CREATE INDEX live_batches_at ON live_batches (at);

-- Collector tokens issued by a hub ("Add FTP host", `hub tokens add`): one per host, stored as the SHA-256 of
-- the token (shown once, at creation); every hub of the database accepts them. Revoked tokens stay for the record.
CREATE TABLE collector_tokens (
  id           text PRIMARY KEY,
  host         text NOT NULL,
  hash         bytea NOT NULL UNIQUE,
  created_at   bigint NOT NULL,
  last_used_at bigint,
  revoked_at   bigint
);
CREATE INDEX collector_tokens_host ON collector_tokens (host);
