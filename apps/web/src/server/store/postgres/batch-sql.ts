/** The statements of PgBatchWriter: one multi-row (unnest) statement per table, prepared by name. */

/** Full session states, merged like SQLite (earliest start, helper/user once known, a known mode, TLS once seen). */
export const UPSERT_SESSIONS = `INSERT INTO sessions (host, id, family, client_ip, client_port, server_ip, server_port, state,
    helper, username, mode, tls, started_at, ended_at, requested_host)
  SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::int[], $8::text[],
    $9::text[], $10::text[], $11::text[], $12::bool[], $13::int8[], $14::int8[], $15::text[])
  ON CONFLICT (host, id) DO UPDATE SET family = excluded.family, client_ip = excluded.client_ip,
    client_port = excluded.client_port, server_ip = excluded.server_ip, server_port = excluded.server_port,
    state = excluded.state, helper = coalesce(excluded.helper, sessions.helper),
    username = coalesce(excluded.username, sessions.username),
    mode = CASE excluded.mode WHEN 'unknown' THEN sessions.mode ELSE excluded.mode END,
    tls = excluded.tls OR sessions.tls, started_at = least(sessions.started_at, excluded.started_at),
    ended_at = excluded.ended_at, requested_host = coalesce(excluded.requested_host, sessions.requested_host)`;

/** Data-channel attempts of sessions, by id (a report carries the latest 50; older rows stay as reported). */
export const UPSERT_ATTEMPTS = `INSERT INTO data_channels (host, id, session_id, mode, command, address, port, asked_at,
    outcome, settled_at, bytes, bytes_from, rule_id, drop_source, tied_by, expectation_id, data_connection_id, reason)
  SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int8[],
    $9::text[], $10::int8[], $11::int8[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
    $17::text[], $18::text[])
  ON CONFLICT (host, id) DO UPDATE SET session_id = excluded.session_id, mode = excluded.mode,
    command = excluded.command, address = excluded.address, port = excluded.port,
    asked_at = least(data_channels.asked_at, excluded.asked_at), outcome = excluded.outcome,
    settled_at = excluded.settled_at, bytes = excluded.bytes, bytes_from = excluded.bytes_from,
    rule_id = excluded.rule_id, drop_source = excluded.drop_source, tied_by = excluded.tied_by,
    expectation_id = excluded.expectation_id, data_connection_id = excluded.data_connection_id,
    reason = excluded.reason`;

/** The firewall manager a host's collector detected (latest per host). */
export const UPSERT_FIREWALL = `INSERT INTO firewall_info (host, updated_at, info) VALUES ($1, $2, $3)
  ON CONFLICT (host) DO UPDATE SET updated_at = excluded.updated_at, info = excluded.info`;

/** Full expectation states (earliest creation; the rest from the later report). */
export const UPSERT_EXPECTATIONS = `INSERT INTO expectations (host, id, session_id, family, src, dst, port, mode, created_at,
    timeout, seen_at, fulfilled_at, expired_at)
  SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[],
    $9::int8[], $10::int[], $11::int8[], $12::int8[], $13::int8[])
  ON CONFLICT (host, id) DO UPDATE SET session_id = excluded.session_id, family = excluded.family,
    src = excluded.src, dst = excluded.dst, port = excluded.port, mode = excluded.mode,
    created_at = least(expectations.created_at, excluded.created_at), timeout = excluded.timeout,
    seen_at = excluded.seen_at, fulfilled_at = excluded.fulfilled_at, expired_at = excluded.expired_at`;

/** Full data connection states (earliest start; the rest from the later report). */
export const UPSERT_DATA = `INSERT INTO data_connections (host, id, session_id, expectation_id, attribution, mode, client_port,
    server_port, state, established, related, started_at, ended_at, bytes)
  SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[],
    $9::text[], $10::bool[], $11::bool[], $12::int8[], $13::int8[], $14::int8[])
  ON CONFLICT (host, id) DO UPDATE SET session_id = excluded.session_id,
    expectation_id = excluded.expectation_id, attribution = excluded.attribution, mode = excluded.mode,
    client_port = excluded.client_port, server_port = excluded.server_port, state = excluded.state,
    established = excluded.established, related = excluded.related,
    started_at = least(data_connections.started_at, excluded.started_at), ended_at = excluded.ended_at,
    bytes = excluded.bytes`;

/** Raw counter samples, one row per rule per poll; a sample stored before is ignored (returns the new ones). */
export const INSERT_SAMPLES = `INSERT INTO rule_samples (host, rule_id, at, packets, bytes, d_packets, d_bytes)
  SELECT $1, * FROM unnest($2::text[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[])
  ON CONFLICT (host, rule_id, at) DO NOTHING RETURNING rule_id, at`;

/** The totals the hub stored last for some rules: the next sample's delta is taken from them. */
export const SELECT_TOTALS = `SELECT id, packets, bytes, counters_at AS at FROM rules
  WHERE host = $1 AND id = ANY($2::text[])`;

/** Minute rollups, summed per (rule, minute) before and on conflict. */
export const UPSERT_ROLLUPS = `INSERT INTO rule_rollup_1m (host, rule_id, bucket, d_packets, d_bytes)
  SELECT $1, * FROM unnest($2::text[], $3::int8[], $4::int8[], $5::int8[])
  ON CONFLICT (host, rule_id, bucket) DO UPDATE SET d_packets = rule_rollup_1m.d_packets + excluded.d_packets,
    d_bytes = rule_rollup_1m.d_bytes + excluded.d_bytes`;

/** Current counter totals of each rule, unless a newer poll set them already. */
export const SET_TOTALS = `UPDATE rules r SET packets = i.p, bytes = i.b, counters_at = i.at
  FROM unnest($2::text[], $3::int8[], $4::int8[], $5::int8[]) AS i(id, p, b, at)
  WHERE r.host = $1 AND r.id = i.id AND (r.counters_at IS NULL OR r.counters_at <= i.at)`;

/** NFLOG packets. */
export const INSERT_DROPS = `INSERT INTO drops (host, at, grp, rule_id, prefix, proto, src, dst, sport, dport, flags,
    source, verdict)
  SELECT $1, * FROM unnest($2::int8[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::int[], $10::int[], $11::text[], $12::text[], $13::text[])`;

/** Netfilter health samples. */
export const INSERT_HEALTH = `INSERT INTO health_samples (host, at, health)
  SELECT $1, * FROM unnest($2::int8[], $3::jsonb[])`;

/** What the collector could not see. */
export const INSERT_GAPS = `INSERT INTO gaps (host, at, source, reason, from_seq, to_seq)
  SELECT $1, * FROM unnest($2::int8[], $3::text[], $4::text[], $5::int8[], $6::int8[])`;

/** The FTP server's settings (latest per host). */
export const UPSERT_SETTINGS = `INSERT INTO ftp_settings (host, updated_at, settings) VALUES ($1, $2, $3)
  ON CONFLICT (host) DO UPDATE SET updated_at = excluded.updated_at, settings = excluded.settings`;

/** When the current rule list of a host was reported. */
export const RULESET_AT = 'SELECT max(seen_at) AS at FROM rules WHERE host = $1';

/** A full rule list (rules back from removal lose removed_at). */
export const UPSERT_RULES = `INSERT INTO rules (host, id, backend, family, tbl, chain, position, text, verdict, is_policy,
    comment, seen_at)
  SELECT $1, *, $12::int8 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[],
    $8::text[], $9::text[], $10::bool[], $11::text[])
  ON CONFLICT (host, id) DO UPDATE SET backend = excluded.backend, family = excluded.family, tbl = excluded.tbl,
    chain = excluded.chain, position = excluded.position, text = excluded.text, verdict = excluded.verdict,
    is_policy = excluded.is_policy, comment = excluded.comment, seen_at = excluded.seen_at, removed_at = NULL`;

/** Rules missing from the rule list. */
export const MARK_REMOVED = `UPDATE rules SET removed_at = $2 WHERE host = $1 AND removed_at IS NULL AND NOT (id = ANY($3::text[]))`;

/** A ruleset change with its diff. */
export const INSERT_CHANGE =
  'INSERT INTO ruleset_changes (host, at, not_before, diff, change_id) VALUES ($1, $2, $3, $4, $5)';

/** Open sessions a resync does not list are over. */
export const SYNC = `UPDATE sessions SET ended_at = $2, state = 'CLOSED'
  WHERE host = $1 AND ended_at IS NULL AND NOT (id = ANY($3::text[]))`;

/** The stream's row, locked until the batch commits: its sequence and owner. */
export const LOCK_STREAM =
  'SELECT last_seq, owner_hub FROM streams WHERE host = $1 AND stream_id = $2 FOR UPDATE';
/** A stream seen for the first time (owned by this hub). */
export const NEW_STREAM = `INSERT INTO streams (host, stream_id, last_seq, updated_at, owner_hub) VALUES ($1, $2, 0, $3, $4)
  ON CONFLICT (host, stream_id) DO NOTHING`;
/** The stream's sequence, in the batch's transaction. */
export const SET_SEQ = 'UPDATE streams SET last_seq = $3, updated_at = $4 WHERE host = $1 AND stream_id = $2';
/** Data arrived from the host. */
export const TOUCH_HOST = 'UPDATE hosts SET last_seen = $2 WHERE name = $1';

/** Session dialogues, replaced whole by each report (one row per session; the latest report of a batch). */
export const UPSERT_DIALOGUES = `INSERT INTO session_dialogues (host, session_id, at, lines, omitted, verbs)
  SELECT $1, k.session_id, k.at, k.lines::jsonb, k.omitted, ARRAY(SELECT jsonb_array_elements_text(k.verbs::jsonb))
  FROM unnest($2::text[], $3::int8[], $4::text[], $5::int[], $6::text[]) AS k(session_id, at, lines, omitted, verbs)
  ON CONFLICT (host, session_id) DO UPDATE SET at = excluded.at, lines = excluded.lines, omitted = excluded.omitted,
    verbs = excluded.verbs`;
