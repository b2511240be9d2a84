import type { CollectorEvent, DataConnection, Expectation, FtpMode, FtpSession } from '@ftpscope/shared';
import type { ConntrackRecord, Tuple } from '../sources/conntrack-parse.ts';
import type { ExpectRecord } from '../sources/expect-parse.ts';
import { shortHash } from './short-hash.ts';

/** How long an unfulfilled expectation's DESTROY waits for the data connection's NEW (separate streams, no order). */
const FULFIL_GRACE_MS = 2000;
/** A data connection without a helper is attributed to a session that ended at most this long ago. */
const HEURISTIC_WINDOW_MS = 5000;
/** Finished sessions, data connections and expectations stay in memory this long for late events and log lines. */
const LINGER_MS = 60_000;
const CLOSED_STATES = new Set(['TIME_WAIT', 'CLOSE', 'CLOSED']);

export interface SessionModelOptions {
  host: string;
  ftpPorts: number[];
  /** vsftpd's passive range when known (tightens the no-helper heuristic). */
  passiveRange: () => [number, number] | null;
  emit: (event: CollectorEvent) => void;
}

/** A control session with what the model needs beyond the wire shape. */
export interface SessionState {
  s: FtpSession;
  ctId: string;
  destroyed: boolean;
  lastEventAt: number;
  dataMode: FtpMode | null;
  sent: string;
}

interface DataState {
  d: DataConnection;
  ctId: string;
  family: string;
  orig: Tuple;
  destroyed: boolean;
  lastEventAt: number;
  sent: string;
}

interface ExpState {
  e: Expectation;
  key: string;
  master: Tuple;
  destroyedAt: number | null;
  lastEventAt: number;
  sent: string;
}

const tupleKey = (family: string, t: Tuple) => `${family}|${t.src}|${t.dst}|${t.sport}|${t.dport}`;
const expKey = (family: string, t: Tuple) => `${family}|${t.src}|${t.dst}|${t.dport}`;

/**
 * Assembles FTP sessions from conntrack entries and expectations: control sessions on the FTP ports,
 * their expectations (linked by master tuple), and data connections (by expected tuple, or heuristically
 * when no helper is assigned). Emits a full-state event on every change. Ids are derived from the host,
 * the conntrack id and the original tuple, so a restarted collector re-emits the same ids.
 */
export class SessionModel {
  private readonly sessions = new Map<string, SessionState>(); // by conntrack id
  private readonly data = new Map<string, DataState>(); // by conntrack id
  private readonly expectations = new Map<string, ExpState>(); // by expectation id
  private readonly expNth = new Map<string, number>();
  private resyncStart: number | null = null;
  private readonly touchedSinceResync = new Set<string>();

  constructor(private readonly opts: SessionModelOptions) {}

  /** Sessions the model holds (for log attachment). */
  allSessions(): Iterable<SessionState> {
    return this.sessions.values();
  }

  /** Applies a conntrack event or listing line. `at` is the event time (or now for listings). */
  applyConntrack(rec: ConntrackRecord, at: number): void {
    if (rec.proto !== 'tcp' || rec.id === null) return;
    if (this.resyncStart !== null && rec.event !== null) this.touchedSinceResync.add(rec.id);
    const known = this.sessions.get(rec.id);
    if (known || this.opts.ftpPorts.includes(rec.orig.dport)) {
      this.applyControl(rec, at, known);
      return;
    }
    this.applyData(rec, at);
  }

  private applyControl(rec: ConntrackRecord, at: number, known: SessionState | undefined): void {
    if (!known && rec.event === 'DESTROY') return; // a session we never saw, already gone
    const st: SessionState = known ?? {
      s: {
        id: shortHash('s', this.opts.host, rec.id as string, tupleKey(rec.family, rec.orig)),
        family: rec.family,
        client: { ip: rec.orig.src, port: rec.orig.sport },
        server: { ip: rec.orig.dst, port: rec.orig.dport },
        state: rec.state ?? 'UNKNOWN',
        helper: null,
        user: null,
        mode: 'unknown',
        tls: false,
        startedAt: at,
        endedAt: null,
      },
      ctId: rec.id as string,
      destroyed: false,
      lastEventAt: at,
      dataMode: null,
      sent: '',
    };
    if (!known) this.sessions.set(st.ctId, st);
    st.lastEventAt = at;
    if (rec.helper !== null) st.s.helper = rec.helper;
    if (rec.event === 'DESTROY') {
      st.destroyed = true;
      st.s.state = 'CLOSED';
      st.s.endedAt ??= at;
    } else {
      if (rec.state !== null) st.s.state = rec.state;
      if (CLOSED_STATES.has(st.s.state)) st.s.endedAt ??= at;
    }
    if (!known) this.linkExpectationsTo(st);
    this.emitSession(st);
  }

  private applyData(rec: ConntrackRecord, at: number): void {
    let st = this.data.get(rec.id as string);
    if (!st) {
      if (rec.event === 'DESTROY' && this.resyncStart === null) return;
      const match = this.attribute(rec.family, rec.orig, at);
      if (!match) return;
      st = {
        d: {
          id: shortHash('d', this.opts.host, rec.id as string, tupleKey(rec.family, rec.orig)),
          sessionId: match.session?.s.id ?? null,
          expectationId: match.exp?.e.id ?? null,
          attribution: match.exp ? 'expectation' : 'heuristic',
          mode: match.mode,
          clientPort: match.mode === 'active' ? rec.orig.dport : rec.orig.sport,
          serverPort: match.mode === 'active' ? rec.orig.sport : rec.orig.dport,
          state: rec.state ?? 'UNKNOWN',
          established: false,
          related: match.exp !== null,
          startedAt: at,
          endedAt: null,
          bytes: null,
        },
        ctId: rec.id as string,
        family: rec.family,
        orig: rec.orig,
        destroyed: false,
        lastEventAt: at,
        sent: '',
      };
      this.data.set(st.ctId, st);
      if (match.exp) this.fulfil(match.exp, at);
      if (match.session) this.setDataMode(match.session, match.mode);
    }
    st.lastEventAt = at;
    if (!rec.unreplied) st.d.established = true;
    if (rec.bytes !== null) st.d.bytes = rec.bytes;
    if (rec.event === 'DESTROY') {
      st.destroyed = true;
      st.d.state = 'CLOSED';
      st.d.endedAt ??= at;
    } else {
      if (rec.state !== null) st.d.state = rec.state;
      if (CLOSED_STATES.has(st.d.state)) st.d.endedAt ??= at;
    }
    this.emitData(st);
  }

  /** Finds who a new connection belongs to: an expectation with its tuple, else a session by heuristic. */
  private attribute(
    family: string,
    orig: Tuple,
    at: number,
  ): { exp: ExpState | null; session: SessionState | null; mode: FtpMode } | null {
    const key = expKey(family, orig);
    for (const ex of this.expectations.values()) {
      if (ex.key === key && ex.e.fulfilledAt === null && ex.e.expiredAt === null) {
        return { exp: ex, session: this.sessionById(ex.e.sessionId), mode: ex.e.mode };
      }
    }
    const range = this.opts.passiveRange();
    let best: { session: SessionState; mode: FtpMode } | null = null;
    for (const s of this.sessions.values()) {
      const sess = s.s;
      if (sess.family !== family) continue;
      if (sess.endedAt !== null && at - sess.endedAt > HEURISTIC_WINDOW_MS) continue;
      if (sess.startedAt > at) continue;
      let mode: FtpMode | null = null;
      if (orig.src === sess.client.ip && orig.dst === sess.server.ip && orig.dport !== sess.server.port) {
        const inRange = range ? orig.dport >= range[0] && orig.dport <= range[1] : orig.dport >= 1024;
        if (inRange) mode = 'passive';
      } else if (
        orig.src === sess.server.ip &&
        orig.dst === sess.client.ip &&
        (orig.sport === 20 || orig.sport === sess.server.port - 1)
      ) {
        mode = 'active';
      }
      if (mode && (!best || best.session.s.startedAt < sess.startedAt)) best = { session: s, mode };
    }
    return best ? { exp: null, ...best } : null;
  }

  private sessionById(id: string | null): SessionState | null {
    if (id === null) return null;
    for (const s of this.sessions.values()) if (s.s.id === id) return s;
    return null;
  }

  private sessionByMaster(family: string, m: Tuple): SessionState | null {
    let found: SessionState | null = null;
    for (const s of this.sessions.values()) {
      const x = s.s;
      if (
        x.family === family &&
        x.client.ip === m.src &&
        x.client.port === m.sport &&
        x.server.ip === m.dst &&
        x.server.port === m.dport
      ) {
        if (!found || found.s.startedAt < x.startedAt) found = s;
      }
    }
    return found;
  }

  private setDataMode(st: SessionState, mode: FtpMode): void {
    st.dataMode = mode;
    if (st.s.mode !== mode) {
      st.s.mode = mode;
      this.emitSession(st);
    }
  }

  private fulfil(ex: ExpState, at: number): void {
    if (ex.e.fulfilledAt !== null) return;
    ex.e.fulfilledAt = at;
    ex.e.expiredAt = null;
    this.emitExpectation(ex);
  }

  /** Applies an expectation event or listing line. */
  applyExpect(rec: ExpectRecord, at: number): void {
    if (rec.protonum !== 6) return;
    const key = expKey(rec.family, rec.tuple);
    const masterKey = tupleKey(rec.family, rec.master);
    let ex: ExpState | undefined;
    for (const e of this.expectations.values()) {
      if (
        e.key === key &&
        tupleKey(rec.family, e.master) === masterKey &&
        e.e.expiredAt === null &&
        e.destroyedAt === null
      ) {
        if (e.e.fulfilledAt === null || rec.event === 'DESTROY') ex = e;
      }
    }
    if (!ex) {
      if (rec.event === 'DESTROY' && this.resyncStart === null) return;
      const session = this.sessionByMaster(rec.family, rec.master);
      const nthKey = `${key}|${masterKey}`;
      const nth = this.expNth.get(nthKey) ?? 0;
      this.expNth.set(nthKey, nth + 1);
      ex = {
        e: {
          id: shortHash('e', this.opts.host, masterKey, key, nth),
          sessionId: session?.s.id ?? null,
          family: rec.family,
          src: rec.tuple.src,
          dst: rec.tuple.dst,
          port: rec.tuple.dport,
          mode:
            rec.tuple.dst === rec.master.dst
              ? 'passive'
              : rec.tuple.dst === rec.master.src
                ? 'active'
                : 'unknown',
          createdAt: at,
          timeout: rec.timeout,
          fulfilledAt: null,
          expiredAt: null,
        },
        key,
        master: rec.master,
        destroyedAt: null,
        lastEventAt: at,
        sent: '',
      };
      this.expectations.set(ex.e.id, ex);
      // The data connection may have been seen first (the two event streams are not ordered).
      for (const d of this.data.values()) {
        if (
          d.d.expectationId === null &&
          expKey(d.family, d.orig) === key &&
          at - d.d.startedAt <= FULFIL_GRACE_MS
        ) {
          d.d.expectationId = ex.e.id;
          d.d.attribution = 'expectation';
          d.d.related = true;
          d.d.sessionId ??= ex.e.sessionId;
          this.fulfil(ex, d.d.startedAt);
          this.emitData(d);
        }
      }
    }
    ex.lastEventAt = at;
    ex.e.timeout = rec.timeout;
    if (rec.event === 'DESTROY' && ex.e.fulfilledAt === null) ex.destroyedAt = at;
    this.emitExpectation(ex);
  }

  private linkExpectationsTo(st: SessionState): void {
    for (const ex of this.expectations.values()) {
      if (ex.e.sessionId === null && this.sessionByMaster(ex.e.family, ex.master) === st) {
        ex.e.sessionId = st.s.id;
        this.emitExpectation(ex);
      }
    }
  }

  /** Marks the start of a resynchronisation: events from now on win over the listing taken after. */
  beginResync(now: number): void {
    this.resyncStart = now;
    this.touchedSinceResync.clear();
  }

  /**
   * Merges listings taken after beginResync: entries not updated by a newer event are applied; sessions and
   * expectations the kernel no longer has (and no event touched) are over. Returns the active session ids.
   */
  finishResync(conns: ConntrackRecord[], expects: ExpectRecord[], now: number): string[] {
    const listed = new Set<string>();
    for (const r of conns) {
      if (r.id === null) continue;
      listed.add(r.id);
      if (!this.touchedSinceResync.has(r.id)) this.applyConntrack(r, now);
    }
    for (const st of this.sessions.values()) {
      if (!st.destroyed && !listed.has(st.ctId) && !this.touchedSinceResync.has(st.ctId)) {
        st.destroyed = true;
        st.s.state = 'CLOSED';
        st.s.endedAt ??= now;
        this.emitSession(st);
      }
    }
    const listedExp = new Set<string>();
    for (const r of expects) {
      this.applyExpect(r, now);
      listedExp.add(`${expKey(r.family, r.tuple)}|${tupleKey(r.family, r.master)}`);
    }
    for (const ex of this.expectations.values()) {
      const k = `${ex.key}|${tupleKey(ex.e.family, ex.master)}`;
      if (
        ex.e.fulfilledAt === null &&
        ex.e.expiredAt === null &&
        ex.destroyedAt === null &&
        !listedExp.has(k) &&
        ex.lastEventAt < (this.resyncStart ?? now)
      ) {
        ex.destroyedAt = now;
      }
    }
    this.resyncStart = null;
    this.touchedSinceResync.clear();
    return this.activeSessionIds();
  }

  /** Ids of sessions still in the kernel's table. */
  activeSessionIds(): string[] {
    return [...this.sessions.values()].filter((s) => !s.destroyed).map((s) => s.s.id);
  }

  /** Expires expectations whose grace ran out and forgets finished state; call about once a second. */
  tick(now: number): void {
    for (const ex of this.expectations.values()) {
      if (
        ex.destroyedAt !== null &&
        ex.e.fulfilledAt === null &&
        ex.e.expiredAt === null &&
        now - ex.destroyedAt >= FULFIL_GRACE_MS
      ) {
        ex.e.expiredAt = ex.destroyedAt;
        this.emitExpectation(ex);
      }
      const done = ex.e.fulfilledAt ?? ex.e.expiredAt;
      if (done !== null && now - Math.max(done, ex.lastEventAt) > LINGER_MS)
        this.expectations.delete(ex.e.id);
    }
    for (const [k, d] of this.data) if (d.destroyed && now - d.lastEventAt > LINGER_MS) this.data.delete(k);
    for (const [k, s] of this.sessions)
      if (s.destroyed && now - s.lastEventAt > LINGER_MS) this.sessions.delete(k);
  }

  /** Current state as events (sessions, expectations, data connections), without re-emitting. */
  snapshot(): CollectorEvent[] {
    return [
      ...[...this.sessions.values()].map((s): CollectorEvent => ({ kind: 'session', session: { ...s.s } })),
      ...[...this.expectations.values()].map(
        (e): CollectorEvent => ({ kind: 'expectation', expectation: { ...e.e } }),
      ),
      ...[...this.data.values()].map((d): CollectorEvent => ({ kind: 'data', data: { ...d.d } })),
    ];
  }

  /** Emits a session if it changed since last sent (log attachment calls this too). */
  emitSession(st: SessionState): void {
    const sig = JSON.stringify(st.s);
    if (sig === st.sent) return;
    st.sent = sig;
    this.opts.emit({ kind: 'session', session: structuredClone(st.s) });
  }

  private emitData(st: DataState): void {
    const sig = JSON.stringify(st.d);
    if (sig === st.sent) return;
    st.sent = sig;
    this.opts.emit({ kind: 'data', data: { ...st.d } });
  }

  private emitExpectation(st: ExpState): void {
    const sig = JSON.stringify({ ...st.e, timeout: 0 });
    if (sig === st.sent) return;
    st.sent = sig;
    this.opts.emit({ kind: 'expectation', expectation: { ...st.e } });
  }
}
