import type {
  CollectorEvent,
  DataChannelAttempt,
  DataConnection,
  DialogueLine,
  Expectation,
  Family,
  FtpMode,
  FtpSession,
  FtpTransfer,
} from '@ftpscope/shared';
import type { ConntrackRecord, Tuple } from '../sources/conntrack-parse.ts';
import type { ExpectRecord } from '../sources/expect-parse.ts';
import { intern } from './intern.ts';
import { MultiMap } from './multi-map.ts';
import { shortHash } from './short-hash.ts';

/** How long an unfulfilled expectation's DESTROY waits for the data connection's NEW (separate streams, no order). */
const FULFIL_GRACE_MS = 2000;
/** A data connection without a helper is attributed to a session that ended at most this long ago. */
const HEURISTIC_WINDOW_MS = 5000;
/** Finished sessions, data connections and expectations stay in memory this long for late events and log lines. */
const LINGER_MS = 60_000;
/** A data connection not tied to an expectation stays findable this long for a late one (≥ FULFIL_GRACE_MS). */
const PENDING_DATA_MS = 10_000;
const CLOSED_STATES = new Set(['TIME_WAIT', 'CLOSE', 'CLOSED']);
/** TCP states of a connection that one side has closed: a control connection in them starts no new data channel. */
const CLOSING_STATES = new Set(['FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK']);

export interface SessionModelOptions {
  host: string;
  ftpPorts: number[];
  /** vsftpd's passive range when known (tightens the no-helper heuristic). */
  passiveRange: () => [number, number] | null;
  /**
   * Each event, with the control session it belongs to when known (the data-channel tracker needs it); `first`
   * on a session's first event (what the live view waits for; its later changes may wait for a batch).
   */
  emit: (event: CollectorEvent, session: SessionState | null, first?: boolean) => void;
  /** The session whose PASV reply or PORT named this exact data port, when the server log showed one. */
  portOwner?: (
    family: string,
    src: string,
    dst: string,
    dport: number,
  ) => { session: SessionState; mode: 'passive' | 'active' } | null;
}

const MODES: readonly FtpMode[] = ['unknown', 'passive', 'active'];
// Bits of SessionState.bits: the flags and small enums of a session, one field instead of seven.
const IPV6 = 1;
const TLS = 2;
const START_UNKNOWN = 4;
const DESTROYED = 8;
const FORGOTTEN = 16;
const MODE_SHIFT = 5; // 2 bits: index in MODES
const DATA_MODE_SHIFT = 7; // 2 bits: 0 none, else index in MODES + 1

/**
 * A control session: its wire fields kept flat (no endpoint objects, flags in one number) beside what the
 * model needs, one object per session instead of four (a host can hold 100k sessions); `wire()` builds what
 * is sent.
 */
export class SessionState {
  readonly id: string;
  readonly clientIp: string;
  readonly clientPort: number;
  readonly serverIp: string;
  readonly serverPort: number;
  state: string;
  helper: string | null = null;
  user: string | null = null;
  readonly startedAt: number;
  endedAt: number | null = null;
  transfers: FtpTransfer[] | undefined = undefined;
  attempts: DataChannelAttempt[] | undefined = undefined;
  requestedHost: string | null | undefined = undefined;
  dialogue: DialogueLine[] | undefined = undefined;
  dialogueOmitted: number | undefined = undefined;
  /** Insertion order: of two sessions started in the same millisecond the older one wins, as in a scan. */
  readonly seq: number;
  lastEventAt: number;
  /** The number of the last resync whose listing contained it. */
  listed = 0;
  private bits = 0;

  get family(): Family {
    return this.bits & IPV6 ? 'ipv6' : 'ipv4';
  }
  get tls(): boolean {
    return (this.bits & TLS) !== 0;
  }
  set tls(v: boolean) {
    this.flag(TLS, v);
  }
  /** First seen already closing (DESTROY, TIME_WAIT, CLOSE): startedAt is only the time it was seen. */
  get startUnknown(): boolean {
    return (this.bits & START_UNKNOWN) !== 0;
  }
  /** Gone from the kernel's table. */
  get destroyed(): boolean {
    return (this.bits & DESTROYED) !== 0;
  }
  set destroyed(v: boolean) {
    this.flag(DESTROYED, v);
  }
  /** Dropped by the model (finished and lingered): others holding it must let go. */
  get forgotten(): boolean {
    return (this.bits & FORGOTTEN) !== 0;
  }
  set forgotten(v: boolean) {
    this.flag(FORGOTTEN, v);
  }
  get mode(): FtpMode {
    return MODES[(this.bits >> MODE_SHIFT) & 3] as FtpMode;
  }
  set mode(m: FtpMode) {
    this.bits = (this.bits & ~(3 << MODE_SHIFT)) | (MODES.indexOf(m) << MODE_SHIFT);
  }
  /** The mode its data connections showed (wins over the log's PASV/PORT). */
  get dataMode(): FtpMode | null {
    const i = (this.bits >> DATA_MODE_SHIFT) & 3;
    return i === 0 ? null : (MODES[i - 1] as FtpMode);
  }
  set dataMode(m: FtpMode | null) {
    const i = m === null ? 0 : MODES.indexOf(m) + 1;
    this.bits = (this.bits & ~(3 << DATA_MODE_SHIFT)) | (i << DATA_MODE_SHIFT);
  }

  private flag(bit: number, on: boolean): void {
    this.bits = on ? this.bits | bit : this.bits & ~bit;
  }

  constructor(
    host: string,
    readonly ctId: string,
    /** tupleKey of its original tuple (the master key of its expectations and data connections). */
    readonly tk: string,
    rec: ConntrackRecord,
    at: number,
    seq: number,
  ) {
    this.id = shortHash('s', host, ctId, tk);
    if (rec.family === 'ipv6') this.bits |= IPV6;
    this.clientIp = intern(rec.orig.src);
    this.clientPort = rec.orig.sport;
    this.serverIp = intern(rec.orig.dst);
    this.serverPort = rec.orig.dport;
    this.state = intern(rec.state ?? 'UNKNOWN');
    this.startedAt = at;
    this.lastEventAt = at;
    this.seq = seq;
    if (rec.event === 'DESTROY' || (rec.state !== null && CLOSED_STATES.has(rec.state)))
      this.bits |= START_UNKNOWN;
  }

  /** The session as sent: a new object that later changes cannot reach (lists are replaced, never mutated). */
  wire(): FtpSession {
    const s: FtpSession = {
      id: this.id,
      family: this.family,
      client: { ip: this.clientIp, port: this.clientPort },
      server: { ip: this.serverIp, port: this.serverPort },
      state: this.state,
      helper: this.helper,
      user: this.user,
      mode: this.mode,
      tls: this.tls,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
    };
    if (this.transfers) s.transfers = this.transfers;
    if (this.attempts) s.attempts = this.attempts;
    if (this.requestedHost !== undefined) s.requestedHost = this.requestedHost;
    if (this.dialogue) s.dialogue = this.dialogue;
    if (this.dialogueOmitted !== undefined) s.dialogueOmitted = this.dialogueOmitted;
    return s;
  }
}

interface DataState {
  d: DataConnection;
  ctId: string;
  /** expKey of its original tuple, to meet an expectation that arrives after it. */
  key: string;
  /** Its control session (d.sessionId's), once known. */
  session: SessionState | null;
  destroyed: boolean;
  lastEventAt: number;
  /** The number of the last resync whose listing contained it. */
  listed: number;
}

interface ExpState {
  e: Expectation;
  key: string;
  /** tupleKey of the control connection that created it. */
  masterKey: string;
  destroyedAt: number | null;
  lastEventAt: number;
  /** The data connection that used it, told its session when the session shows up later (listing order). */
  data: DataState | null;
  /** Its control session, once known. */
  session: SessionState | null;
}

// Keys are built with join: one flat string each (a template keeps a tree of concatenations per key alive).
const tupleKey = (family: string, t: Tuple) => [family, t.src, t.dst, t.sport, t.dport].join('|');

/** The id of the control session of one kernel connection (conntrack id + original tuple): stable across restarts. */
export const controlSessionId = (host: string, ctId: string, family: string, orig: Tuple): string =>
  shortHash('s', host, ctId, tupleKey(family, orig));
const expKey = (family: string, t: Tuple) => [family, t.src, t.dst, t.dport].join('|');

/**
 * Assembles FTP sessions from conntrack entries and expectations: control sessions on the FTP ports,
 * their expectations (linked by master tuple), and data connections (by expected tuple, or heuristically
 * when no helper is assigned). Emits a full-state event on every change. Ids are derived from the host,
 * the conntrack id and the original tuple, so a restarted collector re-emits the same ids. Every lookup an
 * event needs goes through an index, so the cost of an event does not grow with the table.
 */
export class SessionModel {
  private readonly data = new Map<string, DataState>(); // by conntrack id
  private readonly expectations = new Map<string, ExpState>(); // by expectation id
  private readonly sessionsByTuple = new MultiMap<string, SessionState>();
  /** By client address (its text tells the family): the no-helper heuristic's and the drops' candidates. */
  private readonly sessionsByClient = new MultiMap<string, SessionState>();
  /**
   * Expectations an event can still match, by expected tuple: left once expired, or once fulfilled and destroyed
   * (the kernel destroys an expectation as it is used). A busy passive range reuses each port every few dozen
   * connections; the done ones linger (LINGER_MS) only in `expectations`.
   */
  private readonly expByKey = new MultiMap<string, ExpState>();
  /** Expectations whose control session is not known yet, by master tuple. */
  private readonly orphanExp = new MultiMap<string, ExpState>();
  /** Recent data connections without an expectation, by expKey. */
  private readonly pendingData = new MultiMap<string, DataState>();
  /**
   * Destroyed sessions and data connections, lingering (LINGER_MS) for late events and log lines: what tick
   * walks each second to forget them, instead of every session and data connection the model holds (100k
   * sessions took 5-19 ms and 8 MB of garbage per tick; at 1,000 data connections/s the model holds ~180k:
   * two minutes of TIME_WAIT, one of lingering).
   */
  private readonly endedSessions = new Set<SessionState>();
  private readonly endedData = new Set<DataState>();
  /** Expectations made so far per expected + master tuple (ids of repeats differ), by master tuple. */
  private readonly expNth = new Map<string, Map<string, number>>();
  private seq = 0;
  private resyncStart: number | null = null;
  private readonly touchedSinceResync = new Set<string>();
  /** Resyncs begun; a session or data connection the current one listed carries its number in `listed`. */
  private resyncs = 0;
  /** Expectations (expected|master key) the current resync's listing contained. */
  private readonly listedExp = new Set<string>();

  constructor(private readonly opts: SessionModelOptions) {}

  /** Sessions the model holds (for log attachment). */
  allSessions(): Iterable<SessionState> {
    return this.sessionsByTuple.values();
  }

  /** Number of control sessions ever added (a change tells the log attacher to retry unbound lines). */
  get sessionsAdded(): number {
    return this.seq;
  }

  /** Applies a conntrack event or listing line. `at` is the event time (or now for listings). */
  applyConntrack(rec: ConntrackRecord, at: number): SessionState | DataState | undefined {
    if (rec.proto !== 'tcp' || rec.id === null) return;
    if (this.resyncStart !== null && rec.event !== null) this.touchedSinceResync.add(rec.id);
    if (!this.opts.ftpPorts.includes(rec.orig.dport)) return this.applyData(rec, at);
    // Sessions are found by original tuple, then conntrack id (one index instead of two: 100k sessions).
    const tk = tupleKey(rec.family, rec.orig);
    const known = this.sessionsByTuple.find(tk, (x) => x.ctId === rec.id);
    return this.applyControl(rec, at, known, tk);
  }

  private applyControl(
    rec: ConntrackRecord,
    at: number,
    known: SessionState | undefined,
    tk: string,
  ): SessionState {
    // A session whose start was missed (collector down, event loss) is still recorded from its end, once.
    const st = known ?? new SessionState(this.opts.host, rec.id as string, tk, rec, at, this.seq++);
    if (!known) this.addSession(st);
    st.lastEventAt = at;
    const { state, helper, endedAt } = st;
    if (rec.helper !== null) st.helper = intern(rec.helper);
    if (rec.event === 'DESTROY') {
      this.endSession(st, at);
    } else {
      if (rec.state !== null) st.state = intern(rec.state);
      if (CLOSED_STATES.has(st.state)) st.endedAt ??= at;
    }
    if (!known) this.linkExpectationsTo(st);
    if (!known || st.state !== state || st.helper !== helper || st.endedAt !== endedAt)
      this.emitSession(st, !known);
    return st;
  }

  private addSession(st: SessionState): void {
    this.sessionsByTuple.add(st.tk, st);
    this.sessionsByClient.add(st.clientIp, st);
  }

  /** The kernel destroyed the session's entry (at `at`, unless it ended before): it lingers, then tick forgets it. */
  private endSession(st: SessionState, at: number): void {
    st.destroyed = true;
    st.state = 'CLOSED';
    st.endedAt ??= at;
    this.endedSessions.add(st);
  }

  /** The same for a data connection. */
  private endData(st: DataState, at: number): void {
    st.destroyed = true;
    st.d.state = 'CLOSED';
    st.d.endedAt ??= at;
    this.endedData.add(st);
  }

  private deleteSession(st: SessionState): void {
    this.endedSessions.delete(st);
    const tk = st.tk;
    this.sessionsByTuple.delete(tk, st);
    st.forgotten = true;
    this.sessionsByClient.delete(st.clientIp, st);
    if (!this.sessionsByTuple.has(tk)) this.expNth.delete(tk);
  }

  private applyData(rec: ConntrackRecord, at: number): DataState | undefined {
    let st = this.data.get(rec.id as string);
    const isNew = !st;
    // A guessed owner is corrected by the master a later record names; a stale tie (staleTie) keeps its guess.
    if (st && rec.master && st.d.attribution === 'heuristic' && st.d.expectationId === null)
      this.reattribute(st, rec);
    if (!st) {
      if (rec.event === 'DESTROY' && this.resyncStart === null) return;
      const found = rec.master ? this.attributeByMaster(rec, at) : this.attribute(rec.family, rec.orig, at);
      if (!found) return;
      const live = this.staleTie(found.session, rec.orig, at);
      const match = live ? { ...found, ...live } : found;
      const tie = found.exp || rec.master ? 'expectation' : found.byPort ? 'port' : 'heuristic';
      st = {
        d: {
          id: shortHash('d', this.opts.host, rec.id as string, tupleKey(rec.family, rec.orig)),
          sessionId: match.session?.id ?? null,
          expectationId: match.exp?.e.id ?? null,
          attribution: live ? 'heuristic' : tie,
          mode: match.mode,
          clientPort: match.mode === 'active' ? rec.orig.dport : rec.orig.sport,
          serverPort: match.mode === 'active' ? rec.orig.sport : rec.orig.dport,
          state: rec.state ?? 'UNKNOWN',
          established: false,
          related: match.exp !== null || rec.master !== null,
          startedAt: at,
          endedAt: null,
          bytes: null,
        },
        ctId: rec.id as string,
        key: expKey(rec.family, rec.orig),
        session: match.session ?? null,
        destroyed: false,
        lastEventAt: at,
        listed: 0,
      };
      this.data.set(st.ctId, st);
      // Without a master the expectation may still come (the tool's two streams are not ordered).
      if (!match.exp && !rec.master) this.pendingData.add(st.key, st);
      if (match.exp) this.fulfil(match.exp, at, st);
      if (match.session) this.setDataMode(match.session, match.mode);
    }
    st.lastEventAt = at;
    const { state, established, bytes, endedAt } = st.d;
    if (!rec.unreplied) st.d.established = true;
    if (rec.bytes !== null) st.d.bytes = rec.bytes;
    if (rec.event === 'DESTROY') {
      this.endData(st, at);
    } else {
      if (rec.state !== null) st.d.state = rec.state;
      if (CLOSED_STATES.has(st.d.state)) st.d.endedAt ??= at;
    }
    const d = st.d;
    if (
      isNew ||
      d.state !== state ||
      d.established !== established ||
      d.bytes !== bytes ||
      d.endedAt !== endedAt
    )
      this.emitData(st);
    return st;
  }

  /**
   * Who a connection created from an expectation belongs to, exactly: the kernel names the control
   * connection (master tuple). The expectation itself is looked up for its id and fulfilment.
   */
  private attributeByMaster(
    rec: ConntrackRecord,
    at: number,
  ): {
    exp: ExpState | null;
    session: SessionState | null;
    mode: FtpMode;
    byPort?: boolean;
  } {
    const m = rec.master as Tuple;
    const masterKey = tupleKey(rec.family, m);
    const key = expKey(rec.family, rec.orig);
    let exp: ExpState | null = null;
    for (const ex of this.expByKey.get(key))
      if (ex.masterKey === masterKey && ex.e.fulfilledAt === null && ex.e.expiredAt === null) exp = ex;
    // Not seen (used before a listing, or its event lost in a gap): the kernel says it existed, with the
    // data connection's original tuple as the expected one; recorded as made and used when the connection began.
    if (!exp) {
      const expected = { src: rec.orig.src, dst: rec.orig.dst, sport: 0, dport: rec.orig.dport };
      exp = this.addExpectation(
        {
          event: null,
          at,
          family: rec.family,
          timeout: 0,
          protonum: 6,
          tuple: expected,
          master: m,
          helper: null,
        },
        key,
        masterKey,
        at,
      );
    }
    const mode: FtpMode = rec.orig.dst === m.dst ? 'passive' : rec.orig.dst === m.src ? 'active' : 'unknown';
    return { exp, session: this.sessionByMaster(masterKey), mode };
  }

  /** A listing names the master of a data connection the events could only guess (e.g. its NEW was lost). */
  private reattribute(st: DataState, rec: ConntrackRecord): void {
    const match = this.attributeByMaster(rec, st.d.startedAt);
    const stale = this.staleTie(match.session, rec.orig, st.d.startedAt) !== null;
    st.d.related = true;
    if (!stale) {
      st.d.attribution = 'expectation';
      if (match.session) {
        this.own(st, match.session);
        this.setDataMode(match.session, match.mode);
      }
    }
    if (match.exp) {
      st.d.expectationId = match.exp.e.id;
      this.fulfil(match.exp, st.d.startedAt, st);
    }
    this.pendingData.delete(st.key, st);
    this.emitData(st);
  }

  /** Finds who a new connection belongs to: an expectation with its tuple, else a session by heuristic. */
  private attribute(
    family: string,
    orig: Tuple,
    at: number,
  ): { exp: ExpState | null; session: SessionState | null; mode: FtpMode; byPort?: boolean } | null {
    for (const ex of this.expByKey.get(expKey(family, orig))) {
      if (ex.e.fulfilledAt === null && ex.e.expiredAt === null) {
        return { exp: ex, session: ex.session, mode: ex.e.mode };
      }
    }
    const owner = this.opts.portOwner?.(family, orig.src, orig.dst, orig.dport);
    if (owner) return { exp: null, session: owner.session, mode: owner.mode, byPort: true };
    const guess = this.guess(orig, at);
    return guess ? { exp: null, ...guess } : null;
  }

  /** The latest session of the connection's two addresses it can belong to, by port range and time. */
  private guess(orig: Tuple, at: number): { session: SessionState; mode: FtpMode } | null {
    const range = this.opts.passiveRange();
    let best: { session: SessionState; mode: FtpMode } | null = null;
    const passive = this.sessionsByClient.get(orig.src);
    const active = orig.src === orig.dst ? [] : this.sessionsByClient.get(orig.dst);
    for (const s of [...passive, ...active]) {
      const sess = s;
      if (sess.endedAt !== null && at - sess.endedAt > HEURISTIC_WINDOW_MS) continue;
      if (sess.startedAt > at) continue;
      let mode: FtpMode | null = null;
      if (orig.src === sess.clientIp && orig.dst === sess.serverIp && orig.dport !== sess.serverPort) {
        const inRange = range ? orig.dport >= range[0] && orig.dport <= range[1] : orig.dport >= 1024;
        if (inRange) mode = 'passive';
      } else if (
        orig.src === sess.serverIp &&
        orig.dst === sess.clientIp &&
        (orig.sport === 20 || orig.sport === sess.serverPort - 1)
      ) {
        mode = 'active';
      }
      if (!mode) continue;
      const b = best?.session;
      if (!b || startsAfter(s, b)) best = { session: s, mode };
    }
    return best;
  }

  /**
   * The session a connection that began at `at` belongs to when its expectation's control connection had
   * already ended or is being closed: the kernel keeps such an expectation up to its timeout (TIME_WAIT,
   * 5 min), passive ports repeat, and a later session's connection to the same port is then made RELATED
   * through the old one.
   * A client cannot use a data channel of a session it has closed, so a live session of the same client
   * owns it (tied by client and time). Null when the tie stands.
   */
  private staleTie(
    session: SessionState | null,
    orig: Tuple,
    at: number,
  ): { session: SessionState; mode: FtpMode } | null {
    if (!session) return null;
    // Over: ended before the connection began, or being closed now (seen in the lab: an entry left in LAST_ACK,
    // without an end, after the client gave up and the server was restarted; conntrack keeps it up to 30 s).
    const ended = session.endedAt;
    if (ended === null ? !CLOSING_STATES.has(session.state) : ended >= at) return null;
    const live = this.guess(orig, at);
    const open = live && live.session.endedAt === null && !CLOSING_STATES.has(live.session.state);
    return live && open && live.session !== session ? live : null;
  }

  /** Sessions of a client address the model holds, oldest first. */
  sessionsOfClient(ip: string): Iterable<SessionState> {
    return this.sessionsByClient.get(ip);
  }

  /** Ties a data connection to its control session: the id sent and the state the tracker is handed. */
  private own(d: DataState, st: SessionState): void {
    d.session = st;
    d.d.sessionId = st.id;
  }

  /** The latest session with this original tuple (a client port can be reused). */
  private sessionByMaster(masterKey: string): SessionState | null {
    let found: SessionState | null = null;
    for (const s of this.sessionsByTuple.get(masterKey)) if (!found || startsAfter(s, found)) found = s;
    return found;
  }

  private setDataMode(st: SessionState, mode: FtpMode): void {
    st.dataMode = mode;
    if (st.mode !== mode) {
      st.mode = mode;
      this.emitSession(st);
    }
  }

  private fulfil(ex: ExpState, at: number, data: DataState): void {
    if (ex.e.fulfilledAt !== null) return;
    ex.data = data;
    ex.e.fulfilledAt = at;
    ex.e.expiredAt = null;
    // The kernel destroys an expectation as it is used, often before the data connection's event arrives.
    if (ex.destroyedAt !== null) this.expByKey.delete(ex.key, ex);
    this.emitExpectation(ex);
  }

  /** Applies an expectation event or listing line. */
  applyExpect(rec: ExpectRecord, at: number): void {
    if (rec.protonum !== 6) return;
    const key = expKey(rec.family, rec.tuple);
    const masterKey = tupleKey(rec.family, rec.master);
    let ex: ExpState | undefined;
    for (const e of this.expByKey.get(key)) {
      if (e.masterKey === masterKey && e.e.expiredAt === null && e.destroyedAt === null) {
        if (e.e.fulfilledAt === null || rec.event === 'DESTROY') ex = e;
      }
    }
    const added = !ex;
    if (!ex) {
      if (rec.event === 'DESTROY' && this.resyncStart === null) return;
      ex = this.addExpectation(rec, key, masterKey, at);
      // The data connection may have been seen first (the two event streams are not ordered).
      for (const d of [...this.pendingData.get(key)]) {
        if (d.d.expectationId === null && at - d.d.startedAt <= FULFIL_GRACE_MS) {
          d.d.expectationId = ex.e.id;
          d.d.attribution = 'expectation';
          d.d.related = true;
          // The expectation names its control session exactly (master tuple); the heuristic only guessed,
          // and with several sessions from one client (or a SYN burst) it guesses the latest one.
          const own = ex.session;
          if (own) {
            this.own(d, own);
            this.setDataMode(own, d.d.mode);
          }
          this.pendingData.delete(key, d);
          this.fulfil(ex, d.d.startedAt, d);
          this.emitData(d);
        }
      }
    }
    ex.lastEventAt = at;
    ex.e.timeout = rec.timeout;
    if (rec.event === 'DESTROY' && ex.e.fulfilledAt === null) ex.destroyedAt = at;
    else if (rec.event === 'DESTROY') this.expByKey.delete(key, ex);
    // Later events change only the timeout (not worth an event) or what fulfil/tick emit themselves.
    if (added && ex.e.fulfilledAt === null) this.emitExpectation(ex);
  }

  private addExpectation(rec: ExpectRecord, key: string, masterKey: string, at: number): ExpState {
    const session = this.sessionByMaster(masterKey);
    let nths = this.expNth.get(masterKey);
    if (!nths) {
      nths = new Map();
      this.expNth.set(masterKey, nths);
    }
    const nth = nths.get(key) ?? 0;
    nths.set(key, nth + 1);
    const ex: ExpState = {
      e: {
        // The control connection's conntrack id keeps ids unique when a client port is reused after the
        // counts of a forgotten session were dropped.
        id: shortHash('e', this.opts.host, masterKey, key, nth, session?.ctId ?? ''),
        sessionId: session?.id ?? null,
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
      masterKey,
      destroyedAt: null,
      lastEventAt: at,
      data: null,
      session,
    };
    this.expectations.set(ex.e.id, ex);
    this.expByKey.add(key, ex);
    if (ex.e.sessionId === null) this.orphanExp.add(masterKey, ex);
    return ex;
  }

  private deleteExpectation(ex: ExpState): void {
    this.expectations.delete(ex.e.id);
    this.expByKey.delete(ex.key, ex);
    this.orphanExp.delete(ex.masterKey, ex);
  }

  private linkExpectationsTo(st: SessionState): void {
    const tk = st.tk;
    if (!this.orphanExp.has(tk)) return; // the usual case (a listing of 100k sessions has no orphan at all)
    for (const ex of [...this.orphanExp.get(tk)]) {
      if (ex.e.sessionId === null && this.sessionByMaster(tk) === st) {
        ex.e.sessionId = st.id;
        ex.session = st;
        this.orphanExp.delete(tk, ex);
        this.emitExpectation(ex);
        const d = ex.data;
        if (d && d.d.sessionId === null) {
          this.own(d, st);
          this.setDataMode(st, d.d.mode);
          this.emitData(d);
        }
      }
    }
  }

  /** Marks the start of a resynchronisation: events from now on win over the listing taken after. */
  beginResync(now: number): void {
    this.resyncStart = now;
    this.touchedSinceResync.clear();
    this.resyncs++;
    this.listedExp.clear();
  }

  /** One conntrack entry of the listing taken after beginResync: applied unless a newer event touched it. */
  resyncConntrack(r: ConntrackRecord, now: number): void {
    if (r.id === null || this.touchedSinceResync.has(r.id)) return;
    const st = this.applyConntrack(r, now);
    if (st) st.listed = this.resyncs;
  }

  /** One expectation of the listing taken after beginResync. */
  resyncExpect(r: ExpectRecord, now: number): void {
    this.applyExpect(r, now);
    this.listedExp.add(`${expKey(r.family, r.tuple)}|${tupleKey(r.family, r.master)}`);
  }

  /**
   * Ends a resync: sessions and expectations the kernel no longer has (and no event touched) are over;
   * with `dataListed` (the native reader lists data connections too) so are such data connections.
   * Returns the active session ids.
   */
  endResync(now: number, dataListed = false): string[] {
    const gone = (st: SessionState | DataState) =>
      st.listed !== this.resyncs && !this.touchedSinceResync.has(st.ctId);
    for (const st of this.sessionsByTuple.values()) {
      if (!st.destroyed && gone(st)) {
        this.endSession(st, now);
        this.emitSession(st);
      }
    }
    if (dataListed) {
      for (const st of this.data.values()) {
        if (!st.destroyed && gone(st)) {
          this.endData(st, now);
          this.emitData(st);
        }
      }
    }
    for (const ex of this.expectations.values()) {
      if (
        ex.e.fulfilledAt === null &&
        ex.e.expiredAt === null &&
        ex.destroyedAt === null &&
        !this.listedExp.has(`${ex.key}|${ex.masterKey}`) &&
        ex.lastEventAt < (this.resyncStart ?? now)
      ) {
        ex.destroyedAt = now;
      }
    }
    this.resyncStart = null;
    this.touchedSinceResync.clear();
    this.listedExp.clear();
    return this.activeSessionIds();
  }

  /** beginResync's listings given as arrays (resyncConntrack for each, resyncExpect for each, endResync). */
  finishResync(conns: ConntrackRecord[], expects: ExpectRecord[], now: number, dataListed = false): string[] {
    for (const r of conns) this.resyncConntrack(r, now);
    for (const r of expects) this.resyncExpect(r, now);
    return this.endResync(now, dataListed);
  }

  /** Ids of sessions still in the kernel's table. */
  activeSessionIds(): string[] {
    const out: string[] = [];
    for (const s of this.sessionsByTuple.values()) if (!s.destroyed) out.push(s.id);
    return out;
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
        this.expByKey.delete(ex.key, ex);
        this.emitExpectation(ex);
      }
      const done = ex.e.fulfilledAt ?? ex.e.expiredAt;
      if (done !== null && now - Math.max(done, ex.lastEventAt) > LINGER_MS) this.deleteExpectation(ex);
    }
    for (const key of [...this.pendingData.keys()])
      this.pendingData.prune(key, (d) => now - d.d.startedAt > PENDING_DATA_MS);
    for (const d of this.endedData)
      if (now - d.lastEventAt > LINGER_MS) {
        this.endedData.delete(d);
        this.data.delete(d.ctId);
        this.pendingData.delete(d.key, d);
      }
    for (const s of this.endedSessions) if (now - s.lastEventAt > LINGER_MS) this.deleteSession(s);
  }

  /** Expectations neither fulfilled nor expired (the health sample's expectCount). */
  openExpectations(): number {
    let n = 0;
    for (const ex of this.expectations.values())
      if (ex.e.fulfilledAt === null && ex.e.expiredAt === null) n++;
    return n;
  }

  /** Current state as events (sessions, expectations, data connections), without re-emitting. */
  snapshot(): CollectorEvent[] {
    const out: CollectorEvent[] = [];
    for (const s of this.sessionsByTuple.values()) out.push({ kind: 'session', session: s.wire() });
    for (const e of this.expectations.values()) out.push({ kind: 'expectation', expectation: { ...e.e } });
    for (const d of this.data.values()) out.push({ kind: 'data', data: { ...d.d } });
    return out;
  }

  /**
   * Sets what the FTP server log says about a session and emits it if anything changed (the log attacher
   * calls this; the model keeps no copy of what it sent, so changes are detected where they are made).
   */
  updateFromLog(
    st: SessionState,
    log: {
      user: string | null;
      tls: boolean;
      mode: FtpMode | null;
      transfers: FtpTransfer[] | null;
      requestedHost: string | null;
      dialogue?: DialogueLine[] | null;
      dialogueOmitted?: number;
    },
  ): void {
    let changed = st.user !== log.user || st.tls !== log.tls;
    st.user = log.user;
    st.tls = log.tls;
    if (log.requestedHost !== null && st.requestedHost !== log.requestedHost) {
      st.requestedHost = log.requestedHost;
      changed = true;
    }
    if (st.dataMode === null && log.mode !== null && st.mode !== log.mode) {
      st.mode = log.mode;
      changed = true;
    }
    if (log.transfers && !sameItems(st.transfers, log.transfers)) {
      st.transfers = [...log.transfers];
      changed = true;
    }
    if (log.dialogue && !sameItems(st.dialogue, log.dialogue)) {
      st.dialogue = [...log.dialogue];
      if (log.dialogueOmitted) st.dialogueOmitted = log.dialogueOmitted;
      changed = true;
    }
    if (changed) this.emitSession(st);
  }

  /**
   * Emits a session's current state (a copy: the batcher may hold it while the model changes). The model keeps
   * no copy of what it sent: callers emit when they changed something (the data-channel tracker too).
   */
  emitSession(st: SessionState, first = false): void {
    this.opts.emit({ kind: 'session', session: st.wire() }, st, first);
  }

  private emitData(st: DataState): void {
    this.opts.emit({ kind: 'data', data: { ...st.d } }, st.session);
  }

  private emitExpectation(st: ExpState): void {
    this.opts.emit({ kind: 'expectation', expectation: { ...st.e } }, st.session);
  }
}

/**
 * Whether `a` counts as the later-started session: of equal start times, one whose start is unknown loses (it
 * only shows when it was seen ending, so a reused port's new session wins), else the older one wins, as in a scan.
 */
function startsAfter(a: SessionState, b: SessionState): boolean {
  if (a.startedAt !== b.startedAt) return a.startedAt > b.startedAt;
  if (a.startUnknown !== b.startUnknown) return b.startUnknown;
  return a.seq < b.seq;
}

/** The same items in the same order (log lists are replaced with new items, never mutated). */
function sameItems<T>(a: T[] | undefined, b: T[]): boolean {
  return a !== undefined && a.length === b.length && a.every((t, i) => t === b[i]);
}
