import { type Static, Type as T } from '@sinclair/typebox';
import { Millis } from './domain.ts';

/**
 * On-demand traces: the hub asks one host's collector to capture one client's FTP packets for a bounded time
 * and streams back the dialogue (PASS masked on the host) and the fate of every data SYN.
 */

/** Limits every trace obeys; the hub refuses requests above them, the collector enforces them again. */
export const TRACE_LIMITS = {
  /** Default and longest duration (ms). */
  defaultDurationMs: 60_000,
  maxDurationMs: 300_000,
  /** Packets kept (FTP control, data and ICMP of the client) before the trace stops itself. */
  maxPackets: 20_000,
  /** Bytes of the pcap kept on the host and sent to the hub before the trace stops itself. */
  maxBytes: 8 * 1024 * 1024,
  /** Steps kept per trace (a long session's later steps are summarised in a note). */
  maxSteps: 1000,
  /** Largest pcap chunk in one message (raw bytes; base64 on the wire, well under MAX_FRAME_BYTES). */
  pcapChunkBytes: 512 * 1024,
} as const;

/** An IPv4 or IPv6 address as text (validated by the hub with net.isIP before it reaches a collector). */
const Ip = T.String({ maxLength: 64 });
/** A trace's id: the hub's. */
export const TraceId = T.String({ pattern: '^tr-[A-Za-z0-9-]{4,64}$' });

/** How a data connection attempt (its SYN) ended. */
export const SynFate = T.Union([
  T.Literal('pending'),
  T.Literal('answered'),
  T.Literal('reset'),
  T.Literal('rejected'),
  T.Literal('dropped'),
  T.Literal('no-reply'),
  T.Literal('not-sent'),
]);
export type SynFate = Static<typeof SynFate>;

/** The rule that dropped a SYN, and how ftpscope knows it. */
export const TraceRule = T.Object({
  ruleId: T.String({ maxLength: 128 }),
  label: T.String({ maxLength: 512 }),
  /** drop: a logged/traced drop of this very packet; counter: the only drop rule whose counter moved then. */
  how: T.Union([T.Literal('drop'), T.Literal('counter')]),
});
export type TraceRule = Static<typeof TraceRule>;

const Base = {
  /** Step number within the trace; a later step with the same n replaces it (a SYN's fate settling). */
  n: T.Integer({ minimum: 0 }),
  at: Millis,
};

/** A command the client sent on the control channel (PASS and ACCT arguments masked on the host). */
export const TraceCommand = T.Object({
  ...Base,
  kind: T.Literal('command'),
  verb: T.String({ maxLength: 16 }),
  text: T.String({ maxLength: 512 }),
});
/** A reply of the server (the last line of a multi-line reply, with the count of lines). */
export const TraceReply = T.Object({
  ...Base,
  kind: T.Literal('reply'),
  code: T.Integer({ minimum: 100, maximum: 599 }),
  text: T.String({ maxLength: 512 }),
});
/** A data endpoint negotiated on the control channel (227/229 reply, PORT/EPRT command). */
export const TraceEndpoint = T.Object({
  ...Base,
  kind: T.Literal('endpoint'),
  mode: T.Union([T.Literal('passive'), T.Literal('active')]),
  via: T.Union([T.Literal('PASV'), T.Literal('EPSV'), T.Literal('PORT'), T.Literal('EPRT')]),
  /** Who will connect to whom for this data channel. */
  ip: Ip,
  port: T.Integer({ minimum: 0, maximum: 65535 }),
});
/** A data connection attempt and its fate. */
export const TraceSyn = T.Object({
  ...Base,
  kind: T.Literal('syn'),
  mode: T.Union([T.Literal('passive'), T.Literal('active'), T.Literal('unknown')]),
  src: Ip,
  sport: T.Integer({ minimum: 0, maximum: 65535 }),
  dst: Ip,
  dport: T.Integer({ minimum: 0, maximum: 65535 }),
  /** SYNs seen for this connection (1 + retransmissions). */
  attempts: T.Integer({ minimum: 0 }),
  fate: SynFate,
  fateAt: T.Union([Millis, T.Null()]),
  rule: T.Union([TraceRule, T.Null()]),
  /** One sentence for the operator: what happened and why. */
  explanation: T.String({ maxLength: 1024 }),
});
/** Something the trace itself says (control channel encrypted, limits reached, tcpdump problems). */
export const TraceNote = T.Object({
  ...Base,
  kind: T.Literal('note'),
  level: T.Union([T.Literal('info'), T.Literal('warning'), T.Literal('error')]),
  text: T.String({ maxLength: 1024 }),
});
/** One step of the ladder, discriminated by `kind`. */
export const TraceStep = T.Union([TraceCommand, TraceReply, TraceEndpoint, TraceSyn, TraceNote]);
export type TraceStep = Static<typeof TraceStep>;
export type TraceSynStep = Static<typeof TraceSyn>;

/** Why a trace ended. */
export const TraceEndReason = T.Union([
  T.Literal('duration'),
  T.Literal('packets'),
  T.Literal('bytes'),
  T.Literal('stopped'),
  T.Literal('error'),
  T.Literal('disconnected'),
  T.Literal('hub-restart'),
]);
export type TraceEndReason = Static<typeof TraceEndReason>;

// ---- hub -> collector ----

/** Start capturing `client`'s FTP packets on this host; the collector answers with trace-steps and trace-end. */
export const TraceStart = T.Object({
  type: T.Literal('trace-start'),
  traceId: TraceId,
  client: Ip,
  durationMs: T.Integer({ minimum: 1000, maximum: TRACE_LIMITS.maxDurationMs }),
  maxPackets: T.Integer({ minimum: 1, maximum: TRACE_LIMITS.maxPackets }),
  maxBytes: T.Integer({ minimum: 1024, maximum: TRACE_LIMITS.maxBytes }),
});
export type TraceStart = Static<typeof TraceStart>;
/** Stop a running trace now (the collector still sends what it has and trace-end). */
export const TraceStop = T.Object({ type: T.Literal('trace-stop'), traceId: TraceId });
export type TraceStop = Static<typeof TraceStop>;

// ---- collector -> hub ----

/** New or updated steps of a running trace. */
export const TraceSteps = T.Object({
  type: T.Literal('trace-steps'),
  traceId: TraceId,
  steps: T.Array(TraceStep, { maxItems: TRACE_LIMITS.maxSteps }),
});
export type TraceSteps = Static<typeof TraceSteps>;
/** The next piece of the trace's pcap (PASS masked, data payloads cut to their headers), in order. */
export const TracePcap = T.Object({
  type: T.Literal('trace-pcap'),
  traceId: TraceId,
  offset: T.Integer({ minimum: 0 }),
  data: T.String({
    maxLength: Math.ceil((TRACE_LIMITS.pcapChunkBytes * 4) / 3) + 4,
    contentEncoding: 'base64',
  }),
});
export type TracePcap = Static<typeof TracePcap>;
/** The trace is over: why, and what it kept. */
export const TraceEnd = T.Object({
  type: T.Literal('trace-end'),
  traceId: TraceId,
  reason: TraceEndReason,
  error: T.Union([T.String({ maxLength: 512 }), T.Null()]),
  packets: T.Integer({ minimum: 0 }),
  pcapBytes: T.Integer({ minimum: 0 }),
  /** The control channel was encrypted (AUTH TLS, or TLS from the first byte). */
  tls: T.Boolean(),
});
export type TraceEnd = Static<typeof TraceEnd>;

// ---- REST / live ----

/** Who asked for a trace (audited in the hub log and stored with it). */
export const TraceRequester = T.Object({
  auth: T.Union([T.Literal('bearer'), T.Literal('cookie')]),
  ip: T.String({ maxLength: 64 }),
  userAgent: T.String({ maxLength: 256 }),
});
export type TraceRequester = Static<typeof TraceRequester>;

/** POST /api/hosts/:host/traces: whom to trace and for how long (default 60 s, at most 300 s). */
export const TraceRequest = T.Object({
  client: T.String({ maxLength: 128 }),
  durationSeconds: T.Optional(T.Integer({ minimum: 1 })),
});
export type TraceRequest = Static<typeof TraceRequest>;

/** A trace as the API and the live channel show it. */
export const TraceView = T.Object({
  id: TraceId,
  host: T.String(),
  client: T.String(),
  state: T.Union([T.Literal('running'), T.Literal('done')]),
  startedAt: T.String({ format: 'date-time' }),
  endedAt: T.Union([T.String({ format: 'date-time' }), T.Null()]),
  durationMs: T.Integer(),
  endReason: T.Union([TraceEndReason, T.Null()]),
  error: T.Union([T.String(), T.Null()]),
  packets: T.Integer(),
  pcapBytes: T.Integer(),
  tls: T.Boolean(),
  requestedBy: TraceRequester,
  steps: T.Array(TraceStep),
});
export type TraceView = Static<typeof TraceView>;
