import { type Static, Type as T } from '@sinclair/typebox';
import { FixPlan } from './firewall.ts';

/** Epoch milliseconds; the wire and the store use numbers, the REST API renders ISO-8601. */
export const Millis = T.Integer({ minimum: 0, description: 'epoch milliseconds' });

/** Names of hosts, namespaces and collectors: safe to log, to use in URLs and to pass as an argument. */
export const HostName = T.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' });

/** An address and port as conntrack reports them (IPv4 or IPv6 text). */
export const Endpoint = T.Object({
  ip: T.String({ maxLength: 64 }),
  port: T.Integer({ minimum: 0, maximum: 65535 }),
});
export type Endpoint = Static<typeof Endpoint>;

/** Address family of a conntrack entry. */
export const Family = T.Union([T.Literal('ipv4'), T.Literal('ipv6')]);
export type Family = Static<typeof Family>;

/** Passive (client connects to the server), active (server connects back) or not seen yet. */
export const FtpMode = T.Union([T.Literal('passive'), T.Literal('active'), T.Literal('unknown')]);
export type FtpMode = Static<typeof FtpMode>;

/** One transfer (or directory operation) as the FTP server logged it. */
export const FtpTransfer = T.Object({
  at: Millis,
  direction: T.Union([T.Literal('download'), T.Literal('upload'), T.Literal('mkdir'), T.Literal('other')]),
  path: T.String({ maxLength: 1024 }),
  bytes: T.Integer({ minimum: 0 }),
  ok: T.Boolean(),
});
export type FtpTransfer = Static<typeof FtpTransfer>;

/** The FTP servers ftpscope reads settings and logs from. */
export const FtpServerKind = T.Union([T.Literal('vsftpd'), T.Literal('proftpd'), T.Literal('pure-ftpd')]);
export type FtpServerKind = Static<typeof FtpServerKind>;

/** What became of one data-channel attempt; `pending` until the evidence settles it. */
export const DataChannelOutcome = T.Union([
  T.Literal('pending'),
  /** The data connection was established (bytes from conntrack accounting or the server's transfer log). */
  T.Literal('ok'),
  /** A drop rule or DROP policy on this host discarded it. */
  T.Literal('dropped'),
  /** Answered with a reset (nothing listening, or a REJECT rule). */
  T.Literal('refused'),
  /** The SYN was seen here but never answered, and no rule here dropped it. */
  T.Literal('timed-out'),
  /** Offered (PASV answered, PORT accepted) but no SYN ever reached this host. */
  T.Literal('unused'),
  /** Could not be told; `reason` says why. */
  T.Literal('unknown'),
]);
export type DataChannelOutcome = Static<typeof DataChannelOutcome>;

/**
 * How the evidence of an attempt was tied to its session: the exact port of the PASV/EPSV reply or PORT/EPRT
 * command, the helper's expectation (master tuple), or only the client address and time (or only time, for
 * rule counters that do not name a client).
 */
export const TiedBy = T.Union([
  T.Literal('port'),
  T.Literal('expectation'),
  T.Literal('client-time'),
  T.Literal('time'),
]);
export type TiedBy = Static<typeof TiedBy>;

/** One data channel a session asked for (PASV/EPSV/PORT/EPRT, or one seen only in the kernel) and its outcome. */
export const DataChannelAttempt = T.Object({
  id: T.String({ maxLength: 128 }),
  mode: T.Union([T.Literal('passive'), T.Literal('active')]),
  /** The FTP command that asked for it, when the server log shows it. */
  command: T.Union([T.String({ maxLength: 8 }), T.Null()]),
  /** Passive: the address the server advertised; active: the address the client gave (null: not logged). */
  address: T.Union([T.String({ maxLength: 64 }), T.Null()]),
  /** The data port (server port in passive, client port in active mode); null when nothing showed it. */
  port: T.Union([T.Integer({ minimum: 0, maximum: 65535 }), T.Null()]),
  askedAt: Millis,
  outcome: DataChannelOutcome,
  settledAt: T.Union([Millis, T.Null()]),
  /** Bytes moved, both directions (conntrack) or the file/listing size (server log). */
  bytes: T.Union([T.Integer({ minimum: 0 }), T.Null()]),
  bytesFrom: T.Union([T.Literal('conntrack'), T.Literal('server-log'), T.Null()]),
  /** The drop/reject rule or policy that took it (`dropped`/`refused`). */
  ruleId: T.Union([T.String({ maxLength: 128 }), T.Null()]),
  /** Where the drop was seen: an NFLOG packet, rule counters, or the firewall manager's own drop log. */
  dropSource: T.Union([T.Literal('nflog'), T.Literal('counters'), T.Literal('observed'), T.Null()]),
  tiedBy: T.Union([TiedBy, T.Null()]),
  expectationId: T.Union([T.String({ maxLength: 128 }), T.Null()]),
  dataConnectionId: T.Union([T.String({ maxLength: 128 }), T.Null()]),
  /** Why the outcome is what it is, in a sentence (always set for `unknown`). */
  reason: T.Union([T.String({ maxLength: 512 }), T.Null()]),
});
export type DataChannelAttempt = Static<typeof DataChannelAttempt>;

/** Largest number of data-channel attempts a session carries (the most recent). */
export const MAX_ATTEMPTS_PER_SESSION = 50;

/** Largest number of dialogue lines a session carries (the most recent). */
export const MAX_DIALOGUE_LINES = 50;

/** One line of a session's FTP dialogue from the server log: a command (PASS/ACCT masked on the host) or a reply. */
export const DialogueLine = T.Object({
  at: Millis,
  dir: T.Union([T.Literal('command'), T.Literal('reply')]),
  /** "PASV", "PASS ****", "227 Entering Passive Mode (198,18,1,11,156,173)." */
  text: T.String({ maxLength: 512 }),
});
export type DialogueLine = Static<typeof DialogueLine>;

/** An FTP control connection as conntrack sees it, enriched from the FTP server log. */
export const FtpSession = T.Object({
  id: T.String({ maxLength: 128 }),
  family: Family,
  client: Endpoint,
  server: Endpoint,
  /** conntrack TCP state, e.g. ESTABLISHED, TIME_WAIT; CLOSED once destroyed. */
  state: T.String({ maxLength: 32 }),
  /** conntrack helper name (normally "ftp"), null when none was assigned. */
  helper: T.Union([T.String({ maxLength: 32 }), T.Null()]),
  user: T.Union([T.String({ maxLength: 256 }), T.Null()]),
  mode: FtpMode,
  /** true when the control channel negotiated TLS (AUTH TLS seen in the server log). */
  tls: T.Boolean(),
  startedAt: Millis,
  endedAt: T.Union([Millis, T.Null()]),
  /** Transfers from the FTP server log (most recent last, at most 50); absent when no log is read. */
  transfers: T.Optional(T.Array(FtpTransfer, { maxItems: 50 })),
  /** Data channels the session asked for, with their outcome (most recent last, at most 50). */
  attempts: T.Optional(T.Array(DataChannelAttempt, { maxItems: MAX_ATTEMPTS_PER_SESSION })),
  /** The address or name the client asked for with HOST (RFC 7151): the one it connected to, even through NAT. */
  requestedHost: T.Optional(T.Union([T.String({ maxLength: 256 }), T.Null()])),
  /** Commands and replies from the server log (most recent last, at most 50); absent when the log has none. */
  dialogue: T.Optional(T.Array(DialogueLine, { maxItems: MAX_DIALOGUE_LINES })),
  /** Earlier dialogue lines not kept (the session had more than MAX_DIALOGUE_LINES). */
  dialogueOmitted: T.Optional(T.Integer({ minimum: 0 })),
});
export type FtpSession = Static<typeof FtpSession>;

/** A conntrack expectation created by the FTP helper for a data channel. */
export const Expectation = T.Object({
  id: T.String({ maxLength: 128 }),
  sessionId: T.Union([T.String({ maxLength: 128 }), T.Null()]),
  family: Family,
  /** Expected tuple: who will connect (src) to whom (dst:port). */
  src: T.String({ maxLength: 64 }),
  dst: T.String({ maxLength: 64 }),
  port: T.Integer({ minimum: 0, maximum: 65535 }),
  /** passive: client connects to the server; active: server connects back to the client. */
  mode: FtpMode,
  createdAt: Millis,
  /** Seconds left when last seen by conntrack. */
  timeout: T.Integer({ minimum: 0 }),
  fulfilledAt: T.Union([Millis, T.Null()]),
  expiredAt: T.Union([Millis, T.Null()]),
});
export type Expectation = Static<typeof Expectation>;

/** How a data connection was tied to its control session (`port`: the exact port of the session's PASV reply or PORT). */
export const Attribution = T.Union([T.Literal('expectation'), T.Literal('heuristic'), T.Literal('port')]);

/** An FTP data connection (passive: client→server, active: server:20→client). */
export const DataConnection = T.Object({
  id: T.String({ maxLength: 128 }),
  sessionId: T.Union([T.String({ maxLength: 128 }), T.Null()]),
  expectationId: T.Union([T.String({ maxLength: 128 }), T.Null()]),
  attribution: Attribution,
  mode: FtpMode,
  clientPort: T.Integer({ minimum: 0, maximum: 65535 }),
  serverPort: T.Integer({ minimum: 0, maximum: 65535 }),
  state: T.String({ maxLength: 32 }),
  /** true once the kernel saw a reply (the handshake got through the firewall). */
  established: T.Boolean(),
  /** conntrack status RELATED: the kernel linked it to an expectation. */
  related: T.Boolean(),
  startedAt: Millis,
  endedAt: T.Union([Millis, T.Null()]),
  /** Bytes in both directions; null when nf_conntrack_acct is off. */
  bytes: T.Union([T.Integer({ minimum: 0 }), T.Null()]),
});
export type DataConnection = Static<typeof DataConnection>;

/** What a rule or policy does with a packet; `other` covers jumps, LOG, NFLOG, CT and the like. */
export const Verdict = T.Union([
  T.Literal('accept'),
  T.Literal('drop'),
  T.Literal('reject'),
  T.Literal('other'),
]);
export type Verdict = Static<typeof Verdict>;

/** Which firewall a rule was read from (iptables over nft, legacy iptables, or native nftables). */
export const Backend = T.Union([
  T.Literal('iptables-nft'),
  T.Literal('iptables-legacy'),
  T.Literal('nftables'),
]);
export type Backend = Static<typeof Backend>;

/** One firewall rule or chain policy, without its counters. */
export const RuleDef = T.Object({
  /** Stable identity: survives unrelated inserts (comment, or family/table/chain/text/nth). */
  id: T.String({ maxLength: 128 }),
  backend: Backend,
  family: T.String({ maxLength: 16 }),
  table: T.String({ maxLength: 64 }),
  chain: T.String({ maxLength: 64 }),
  /** 1-based position in its chain; 0 for the chain policy. */
  position: T.Integer({ minimum: 0 }),
  text: T.String({ maxLength: 4096 }),
  verdict: Verdict,
  isPolicy: T.Boolean(),
  comment: T.Union([T.String({ maxLength: 256 }), T.Null()]),
});
export type RuleDef = Static<typeof RuleDef>;

/** Counter totals and deltas of one rule over one poll interval. */
export const RuleCounter = T.Object({
  ruleId: T.String({ maxLength: 128 }),
  packets: T.Integer({ minimum: 0 }),
  bytes: T.Integer({ minimum: 0 }),
  dPackets: T.Integer({ minimum: 0 }),
  dBytes: T.Integer({ minimum: 0 }),
});
export type RuleCounter = Static<typeof RuleCounter>;

/** A chain whose default policy changed (e.g. INPUT ACCEPT -> DROP). */
export const PolicyChange = T.Object({
  family: T.String({ maxLength: 16 }),
  table: T.String({ maxLength: 64 }),
  chain: T.String({ maxLength: 64 }),
  from: T.String({ maxLength: 32 }),
  to: T.String({ maxLength: 32 }),
});

/** A rule whose text stayed but whose position in its chain changed. */
export const RuleMove = T.Object({
  text: T.String({ maxLength: 4096 }),
  from: T.Integer({ minimum: 0 }),
  to: T.Integer({ minimum: 0 }),
});

/** What changed between two rule sets (text, not counters). */
export const RulesetDiff = T.Object({
  added: T.Array(T.String({ maxLength: 4096 })),
  removed: T.Array(T.String({ maxLength: 4096 })),
  moved: T.Array(RuleMove),
  policyChanges: T.Array(PolicyChange),
});
export type RulesetDiff = Static<typeof RulesetDiff>;

/** A dropped packet: logged to an NFLOG group just before a drop, or traced to the rule that dropped it. */
export const DroppedPacket = T.Object({
  at: Millis,
  group: T.Integer({ minimum: 0, maximum: 65535 }),
  /** Rule that logs to this group (its id), when found in the ruleset. */
  ruleId: T.Union([T.String({ maxLength: 128 }), T.Null()]),
  prefix: T.Union([T.String({ maxLength: 128 }), T.Null()]),
  proto: T.String({ maxLength: 16 }),
  src: T.String({ maxLength: 64 }),
  dst: T.String({ maxLength: 64 }),
  sport: T.Union([T.Integer({ minimum: 0, maximum: 65535 }), T.Null()]),
  dport: T.Union([T.Integer({ minimum: 0, maximum: 65535 }), T.Null()]),
  flags: T.Union([T.String({ maxLength: 16 }), T.Null()]),
  /** How the drop was seen: a packet logged to NFLOG (group), or a trace of ftpscope's observation table (group 0). */
  source: T.Optional(T.Union([T.Literal('nflog'), T.Literal('trace')])),
  /** What the rule (or policy) did to the packet, when the source knows it (trace). */
  verdict: T.Optional(Verdict),
});
export type DroppedPacket = Static<typeof DroppedPacket>;

/** Netfilter health: conntrack statistics, table fill and what is switched on. */
export const NetfilterHealth = T.Object({
  at: Millis,
  conntrackCount: T.Integer({ minimum: 0 }),
  conntrackMax: T.Integer({ minimum: 0 }),
  expectCount: T.Integer({ minimum: 0 }),
  expectMax: T.Integer({ minimum: 0 }),
  /** Totals over all CPUs from `conntrack -S`. */
  stats: T.Record(T.String({ maxLength: 32 }), T.Integer({ minimum: 0 })),
  acct: T.Union([T.Boolean(), T.Null()]),
  timestamp: T.Union([T.Boolean(), T.Null()]),
  /** Rules that assign the FTP helper (raw CT --helper ftp, nftables ct helper). */
  helperRules: T.Array(
    T.Object({ ruleId: T.String({ maxLength: 128 }), family: T.String(), ports: T.Array(T.Integer()) }),
  ),
});
export type NetfilterHealth = Static<typeof NetfilterHealth>;

/** TLS on the control channel: off, offered (clients may use it) or required. */
export const TlsMode = T.Union([T.Literal('off'), T.Literal('optional'), T.Literal('required')]);

/** The FTP server's own settings (vsftpd.conf, proftpd.conf, Pure-FTPd's flags or config files). */
export const FtpServerSettings = T.Object({
  /** Which server; absent from collectors older than this field (they only read vsftpd). */
  server: T.Optional(FtpServerKind),
  /** How the collector found it: the process listening on the control port, a flag, or the usual paths. */
  source: T.Optional(T.Union([T.Literal('process'), T.Literal('flag'), T.Literal('path')])),
  configPath: T.String({ maxLength: 1024 }),
  listenPort: T.Integer({ minimum: 0, maximum: 65535 }),
  ipv6: T.Boolean(),
  pasvEnabled: T.Boolean(),
  pasvMinPort: T.Union([T.Integer({ minimum: 0, maximum: 65535 }), T.Null()]),
  pasvMaxPort: T.Union([T.Integer({ minimum: 0, maximum: 65535 }), T.Null()]),
  pasvAddress: T.Union([T.String({ maxLength: 256 }), T.Null()]),
  tls: T.Boolean(),
  portEnabled: T.Boolean(),
  /** Every control port the server listens on (listenPort is the first). */
  controlPorts: T.Optional(T.Array(T.Integer({ minimum: 0, maximum: 65535 }), { maxItems: 64 })),
  /** The address the server binds to, when it binds to one. */
  listenAddress: T.Optional(T.Union([T.String({ maxLength: 256 }), T.Null()])),
  tlsMode: T.Optional(TlsMode),
  /** TLS from the first byte (FTPS, usually port 990) instead of AUTH TLS. */
  tlsImplicit: T.Optional(T.Boolean()),
  /** The log the collector follows for this server, if any. */
  logPath: T.Optional(T.Union([T.String({ maxLength: 1024 }), T.Null()])),
});
export type FtpServerSettings = Static<typeof FtpServerSettings>;

/** Something the collector could not see: lost events, dropped spool batches, a source down. */
export const Gap = T.Object({
  at: Millis,
  source: T.String({ maxLength: 64 }),
  reason: T.String({ maxLength: 512 }),
  /** Sequence range lost, for spool overflow; null otherwise. */
  fromSeq: T.Union([T.Integer({ minimum: 0 }), T.Null()]),
  toSeq: T.Union([T.Integer({ minimum: 0 }), T.Null()]),
});
export type Gap = Static<typeof Gap>;

/** How urgent a diagnosis is (the UI colours each diagnosis by it). */
export const Severity = T.Union([T.Literal('critical'), T.Literal('warning'), T.Literal('info')]);
export type Severity = Static<typeof Severity>;

/** What a diagnosis points at (a session, rule, drop, change...) so the UI can link to it. */
export const EvidenceLink = T.Object({
  type: T.Union([
    T.Literal('session'),
    T.Literal('rule'),
    T.Literal('drop'),
    T.Literal('change'),
    T.Literal('expectation'),
    T.Literal('health'),
    T.Literal('settings'),
  ]),
  id: T.String({ maxLength: 256 }),
  label: T.String({ maxLength: 512 }),
});

/** A diagnosed problem with its evidence and fix. */
export const Diagnosis = T.Object({
  id: T.String({ maxLength: 128 }),
  kind: T.String({ maxLength: 64 }),
  host: T.String({ maxLength: 64 }),
  severity: Severity,
  title: T.String({ maxLength: 256 }),
  explanation: T.String({ maxLength: 4096 }),
  evidence: T.Array(EvidenceLink),
  fix: T.Array(T.String({ maxLength: 1024 })),
  /** The fix in the terms of the host's firewall manager (steps, persistence, runtime equivalent); `fix` is its text. */
  fixPlan: T.Optional(FixPlan),
  firstSeen: Millis,
  lastSeen: Millis,
  resolvedAt: T.Union([Millis, T.Null()]),
});
export type Diagnosis = Static<typeof Diagnosis>;
