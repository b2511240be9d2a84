import {
  type CollectorEvent,
  type DataChannelAttempt,
  type DataConnection,
  type DroppedPacket,
  type Expectation,
  MAX_ATTEMPTS_PER_SESSION,
  type TiedBy,
} from '@ftpscope/shared';
import { type CounterDrop, settle } from './channel-outcome.ts';
import type { ChannelSignal } from './channel-signals.ts';
import { MultiMap } from './multi-map.ts';
import type { SessionState } from './sessions.ts';
import { shortHash } from './short-hash.ts';

/** A passive attempt still waiting after this long is decided (clients give up well before). */
const PENDING_MAX_MS = 20_000;
/** After the client moved on, wait at most this long for a counter poll that covers the moment. */
const SETTLE_WAIT_MS = 5000;
/** A log line and a kernel event of the same attempt are at most this far apart (log times are whole seconds). */
const PAIR_MS = 2000;
/**
 * A dropped SYN that no live session of its client can claim is held this long: the drop can be read before the
 * control connection of the session it belongs to (separate readers), and an ended session must not take it.
 */
const HOLD_MS = 5000;
const MAX_HELD = 100;
/** Counter polls and data connections are kept this long for late evidence. */
const KEEP_MS = 120_000;
const CONNECTED = new Set(['ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT']);

/** An attempt a drop seen may still decide: open, or decided only by what a rule counter suggested. */
const undecided = (a: Attempt) =>
  a.w.outcome === 'pending' ||
  a.w.outcome === 'unused' ||
  (a.w.outcome === 'dropped' && a.w.dropSource === 'counters');

const portKey = (family: string, client: string, mode: string, port: number) =>
  `${family}|${client}|${mode}|${port}`;

/** What the tracker needs from the session model. */
export interface TrackerModel {
  sessionsOfClient(ip: string): Iterable<SessionState>;
  emitSession(st: SessionState): void;
}

interface Attempt {
  w: DataChannelAttempt;
  session: SessionState;
  triggerAt: number | null;
  seen: boolean;
  answered: boolean;
  connected: boolean;
  logOk: boolean;
  logBytes: number | null;
  commandFailed: number | null;
  /** The data connection's original tuple and state, for a byte count once it has finished. */
  conn: { src: string; dst: string; sport: number; dport: number; state: string } | null;
  bytesAsked: boolean;
}

/** A finished data connection whose byte count the kernel still holds (conntrack -G). */
export interface BytesQuery {
  dataConnectionId: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

/** Control connection states after a FIN: the client is done with the session. */
const CLOSING = new Set(['FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'CLOSED']);
/** Data connections in these states have carried all their data. */
const FINISHED = new Set(['TIME_WAIT', 'CLOSE', 'CLOSED']);

/**
 * The outcome of every data channel each session asks for. Attempts come from the server log (PASV/EPSV
 * replies with their port, PORT/EPRT commands), the helper's expectations, data connections and drops;
 * the same attempt seen by several is merged by its port (or, without one, by time). An attempt is `ok`
 * once its data connection is established, `dropped` when NFLOG (or a firewall manager) shows its SYN
 * die, and otherwise decided when the client moves on (see channel-outcome.ts). Each change re-emits the
 * session with its attempts.
 */
export class DataChannelTracker {
  private readonly bySession = new Map<SessionState, Attempt[]>();
  private readonly byData = new Map<string, Attempt>();
  /** Attempts by the id of the expectation tied to them: an expectation's later events find theirs at once. */
  private readonly byExp = new Map<string, Attempt>();
  /** Sessions whose attempts changed since their last flush. */
  private readonly changed = new Set<SessionState>();
  /** Attempts by family|client|mode|port, the latest per key: how a data connection finds its offer. */
  private readonly byPort = new Map<string, Attempt>();
  /**
   * Every attempt with a port, by the same key: the candidates of a dropped SYN to that port, found without
   * walking every session of the client's address and its attempts (thousands behind one NAT address).
   */
  private readonly allByPort = new MultiMap<string, Attempt>();
  private counterLog: CounterDrop[] = [];
  private lastCountersAt: number | null = null;
  private gaps: number[] = [];
  private nth = 0;
  /** Drops waiting for their session (see HOLD_MS), and clients with a session new since they were held. */
  private held: DroppedPacket[] = [];
  private newClients = new Set<string>();

  /** A microtask that emits the changed sessions is queued (deferred mode). */
  private flushQueued = false;

  /**
   * `deferFlush`: a changed session is emitted once, in a microtask after the current task, instead of after each
   * change. A read of the conntrack reader (tens of events) or of the server log (hundreds of lines) then
   * re-emits each session it touched once; each emission builds the session's message with its attempts.
   */
  constructor(
    private readonly model: TrackerModel,
    private readonly passiveRange: () => [number, number] | null,
    private readonly deferFlush = false,
  ) {}

  /** A signal from the server log of a session (in log order). */
  logSignal(st: SessionState, sig: ChannelSignal): void {
    this.claimHeld();
    const list = this.list(st);
    if (sig.type === 'ask') {
      // A kernel event may have shown the attempt first: claim it instead of counting it twice.
      const a =
        list.find(
          (x) =>
            x.w.command === null &&
            x.w.mode === sig.mode &&
            (sig.port === null || x.w.port === null || x.w.port === sig.port) &&
            x.w.askedAt >= sig.at - PAIR_MS &&
            x.w.askedAt <= sig.at + PAIR_MS,
        ) ?? this.create(st, sig.mode, sig.at, null);
      this.update(a, {
        command: sig.command,
        askedAt: Math.min(a.w.askedAt, sig.at),
        address: sig.address ?? a.w.address,
        port: sig.port ?? a.w.port,
        tiedBy: a.w.tiedBy ?? (sig.port !== null ? 'port' : null),
      });
    } else if (sig.type === 'offer') {
      // A kernel event may have shown this port first; but a session can be offered the same port again (a
      // range of 100), and then the attempt asked since (still without a port) is the one this reply answers.
      const byPort = this.latest(
        list,
        (x) => x.w.mode === 'passive' && x.w.port === sig.port && x.w.askedAt >= sig.at - 60_000,
      );
      const asked = this.latest(list, (x) => x.w.mode === 'passive' && x.w.port === null);
      const a =
        (byPort && !(asked && asked.w.askedAt > byPort.w.askedAt) ? byPort : asked) ??
        this.create(st, 'passive', sig.at, null);
      // A drop that came before this log line was tied by client and time; the reply's port now ties it exactly.
      const confirmed = a.w.tiedBy === 'client-time' && a.w.port === sig.port;
      this.update(a, {
        address: sig.address ?? st.serverIp,
        port: sig.port,
        tiedBy: confirmed ? 'port' : (a.w.tiedBy ?? 'port'),
        ...(confirmed &&
          a.w.outcome === 'dropped' &&
          a.w.dropSource !== null &&
          a.w.dropSource !== 'counters' && { reason: droppedReason(sig.port, a.w.dropSource) }),
      });
    } else if (sig.type === 'failed') {
      const a = this.latest(list, (x) => x.w.outcome === 'pending');
      if (a) {
        if (sig.onCommand) a.commandFailed = sig.code;
        a.triggerAt ??= sig.at;
      }
    } else {
      const a = this.latest(list, (x) => x.w.askedAt <= sig.at + PAIR_MS && x.logBytes === null);
      if (a) {
        a.logBytes = sig.bytes;
        a.logOk = sig.ok;
        if (a.w.bytesFrom !== 'conntrack') this.update(a, { bytes: sig.bytes, bytesFrom: 'server-log' });
        if (!sig.ok) a.triggerAt ??= sig.at;
      }
    }
    this.flush(st);
  }

  /**
   * Events the session model emitted, with their control session: expectations and data connections feed
   * attempts, session ends settle them.
   */
  observe(e: CollectorEvent, session: SessionState | null): void {
    const st = session?.forgotten ? null : session; // a late event of a session the model let go
    if (e.kind === 'expectation') this.expectation(e.expectation, st);
    else if (e.kind === 'data') this.data(e.data, st);
    else if (e.kind === 'session') {
      // A session of a client with held drops may be the one they wait for (retried: held again if not).
      if (this.held.length > 0) this.newClients.add(e.session.client.ip);
      if (e.session.endedAt !== null && st)
        for (const a of this.bySession.get(st) ?? []) a.triggerAt ??= e.session.endedAt;
    }
  }

  /** Held drops of clients that have a new session since: offered to it (held again if it cannot claim them). */
  private claimHeld(): void {
    if (this.newClients.size === 0) return;
    const clients = this.newClients;
    this.newClients = new Set();
    const retry = this.held.filter((d) => clients.has(d.src));
    this.held = this.held.filter((d) => !clients.has(d.src));
    for (const d of retry) this.drop(d);
  }

  /**
   * The session whose attempt offered this exact port (ties a data connection to it without a helper), while
   * that attempt is undecided. Server ports repeat (a passive range of 100), so an old session's settled offer
   * of the same port must not claim a later session's connection: Pure-FTPd logs no reply ports, so the later
   * session never re-offers it. (An offer of a session that has since ended: SessionModel's staleTie.)
   */
  portOwner(
    family: string,
    src: string,
    dst: string,
    dport: number,
  ): { session: SessionState; mode: 'passive' | 'active' } | null {
    for (const [mode, client] of [
      ['passive', src],
      ['active', dst],
    ] as const) {
      const a = this.byPort.get(portKey(family, client, mode, dport));
      if (!a || a.w.dataConnectionId !== null || a.w.outcome !== 'pending') continue;
      if (!a.session.forgotten) return { session: a.session, mode };
    }
    return null;
  }

  /**
   * Finished data connections of ok attempts without a kernel byte count yet (conntrack reports counters only
   * when an entry is destroyed, two minutes after TIME_WAIT): each is asked for once.
   */
  bytesWanted(max: number): BytesQuery[] {
    const out: BytesQuery[] = [];
    for (const a of this.byData.values()) {
      if (out.length >= max) break;
      if (a.bytesAsked || a.w.outcome !== 'ok' || a.w.bytesFrom === 'conntrack' || !a.conn) continue;
      if (!FINISHED.has(a.conn.state) || a.w.dataConnectionId === null) continue;
      a.bytesAsked = true;
      const { state: _, ...tuple } = a.conn;
      out.push({ dataConnectionId: a.w.dataConnectionId, ...tuple });
    }
    return out;
  }

  /** The kernel's byte count (both directions) of a data connection, read with conntrack -G. */
  setBytes(dataConnectionId: string, bytes: number): void {
    const a = this.byData.get(dataConnectionId);
    if (!a) return;
    this.update(a, { bytes, bytesFrom: 'conntrack' });
    this.flush(a.session);
  }

  /** A packet an NFLOG rule (or the firewall manager) saw dropped: the SYN of some attempt. */
  drop(d: DroppedPacket, final = false): void {
    this.claimHeld();
    if (d.proto.toLowerCase() !== 'tcp' || d.dport === null) return;
    if (d.flags !== null && !/^S[^.]*$/.test(d.flags)) return;
    // Traced by ftpscope's observation table (source 'trace') or logged by an NFLOG rule.
    const dropSource = d.source === 'trace' ? 'observed' : 'nflog';
    const range = this.passiveRange();
    const inRange = range ? d.dport >= range[0] && d.dport <= range[1] : d.dport >= 1024;
    const family = d.src.includes(':') ? 'ipv6' : 'ipv4';
    // An attempt offered this exact port: passive, asked by the client that sent the SYN; active, asked by the
    // client the SYN goes to, from its server. Ports repeat (a passive range of 100): an attempt already decided
    // by a packet seen must not take the drop from a later attempt offered the same port; among the undecided,
    // the latest asked.
    let exact: Attempt | null = null;
    for (const [mode, client] of [
      ['passive', d.src],
      ['active', d.dst],
    ] as const) {
      if (mode === 'active' && d.dst === d.src) continue; // a session of that address counts as passive
      for (const x of this.allByPort.get(portKey(family, client, mode, d.dport))) {
        if (x.session.forgotten || (mode === 'active' && x.session.serverIp !== d.src)) continue;
        if (!exact || this.before(exact, x)) exact = x;
      }
    }
    let hit: { a: Attempt; tiedBy: TiedBy } | null = exact ? { a: exact, tiedBy: 'port' } : null;
    let owner: SessionState | null = null;
    // Otherwise only a session of the client that sent it can own it: its oldest open attempt without a port.
    if (!exact && inRange) {
      for (const st of this.model.sessionsOfClient(d.src)) {
        if (st.endedAt !== null && d.at - st.endedAt > 5000) continue;
        if (st.startedAt > d.at) continue;
        const open = this.bySession
          .get(st)
          ?.find((x) => x.w.mode === 'passive' && x.w.port === null && x.w.outcome === 'pending');
        if (open && (!hit || open.w.askedAt < hit.a.w.askedAt)) hit = { a: open, tiedBy: 'client-time' };
        if (!owner || st.startedAt > owner.startedAt) owner = st;
      }
    }
    if (!hit && inRange && !final && (!owner || owner.endedAt !== null || CLOSING.has(owner.state))) {
      if (this.held.length < MAX_HELD) {
        this.held.push(d);
        return;
      }
    }
    if (!hit && owner) hit = { a: this.create(owner, 'passive', d.at, d.dport), tiedBy: 'client-time' };
    // A packet seen dropped is better evidence than a counter that moved meanwhile: it may come later (the
    // trace and NFLOG readers run beside the counter poll) and then replaces the counters' verdict.
    const byCounters =
      hit?.tiedBy === 'port' && hit.a.w.outcome === 'dropped' && hit.a.w.dropSource === 'counters';
    if (!hit || !undecided(hit.a)) return;
    this.update(hit.a, {
      outcome: 'dropped',
      settledAt: d.at,
      port: hit.a.w.port ?? d.dport,
      ruleId: d.ruleId,
      dropSource,
      tiedBy: hit.tiedBy === 'port' ? (byCounters ? 'port' : (hit.a.w.tiedBy ?? 'port')) : 'client-time',
      reason:
        hit.tiedBy === 'port'
          ? droppedReason(d.dport, dropSource)
          : `a SYN from this client to port ${d.dport} was dropped while the session waited (no port in the server log: tied by client and time)`,
    });
    this.flush(hit.a.session);
  }

  /** Drop/reject counters of one poll (only rules that counted packets). */
  counters(at: number, drops: CounterDrop[]): void {
    this.lastCountersAt = at;
    this.counterLog.push(...drops);
    if (this.counterLog.length > 0 && (this.counterLog[0] as CounterDrop).at < at - KEEP_MS)
      this.counterLog = this.counterLog.filter((c) => c.at >= at - KEEP_MS);
  }

  /** The collector lost events at this time: attempts open then may lack their evidence. */
  gap(at: number): void {
    this.gaps.push(at);
    if (this.gaps.length > 100) this.gaps.shift();
  }

  /** Decides attempts whose client moved on; forgets sessions the model forgot. Call about once a second. */
  tick(now: number): void {
    this.claimHeld();
    const due = this.held.filter((d) => now >= d.at + HOLD_MS);
    if (due.length > 0) {
      this.held = this.held.filter((d) => now < d.at + HOLD_MS);
      // Nobody else came for it: the newest session of the client, ended or not, takes it as before.
      for (const d of due) this.drop(d, true);
    }
    for (const [st, list] of this.bySession) {
      if (st.forgotten) {
        for (const a of list) this.forget(a);
        this.bySession.delete(st);
        this.changed.delete(st);
        continue;
      }
      for (const a of list) {
        if (a.w.outcome !== 'pending') continue;
        if (st.endedAt !== null) a.triggerAt ??= st.endedAt;
        // A control connection closing (FIN seen) is a client that gave up, even while the server still waits.
        if (CLOSING.has(st.state)) a.triggerAt ??= st.lastEventAt;
        if (a.triggerAt === null && now - a.w.askedAt >= PENDING_MAX_MS)
          a.triggerAt = a.w.askedAt + PENDING_MAX_MS;
        const t = a.triggerAt;
        if (t === null) continue;
        const covered = this.lastCountersAt !== null && this.lastCountersAt >= t;
        if (!covered && now < t + SETTLE_WAIT_MS && this.lastCountersAt !== null) continue;
        const d = settle({
          mode: a.w.mode,
          family: st.family as 'ipv4' | 'ipv6',
          askedAt: a.w.askedAt,
          triggerAt: t,
          seen: a.seen,
          answered: a.answered,
          connected: a.connected,
          logOk: a.logOk,
          commandFailed: a.commandFailed,
          countersAvailable: this.lastCountersAt !== null,
          counters: this.counterLog,
          lostEvents: this.gaps.some((g) => g >= a.w.askedAt - 1000 && g <= t + 1000),
          where: `${a.w.address ?? (a.w.mode === 'passive' ? st.serverIp : st.clientIp)}:${a.w.port ?? '?'}`,
        });
        this.update(a, { ...d, settledAt: t, tiedBy: d.tiedBy ?? a.w.tiedBy });
      }
      this.flush(st);
    }
  }

  private expectation(ex: Expectation, st: SessionState | null): void {
    if (!st || ex.mode === 'unknown') return;
    const list = this.list(st);
    const a =
      this.byExp.get(ex.id) ??
      list.find((x) => x.w.mode === ex.mode && x.w.port === ex.port && x.w.expectationId === null) ??
      this.near(list, ex.mode, ex.createdAt) ??
      this.create(st, ex.mode, ex.createdAt, ex.port);
    this.update(a, {
      port: ex.port,
      address: a.w.address ?? ex.dst,
      expectationId: ex.id,
      tiedBy: a.w.tiedBy === 'port' ? 'port' : 'expectation',
    });
    if (ex.expiredAt !== null && ex.fulfilledAt === null) a.triggerAt ??= ex.expiredAt;
    this.flush(st);
  }

  private data(d: DataConnection, st: SessionState | null): void {
    if (d.mode === 'unknown') return;
    const port = d.mode === 'passive' ? d.serverPort : d.clientPort;
    let a = this.byData.get(d.id);
    if (!a) {
      if (!st) return;
      const list = this.list(st);
      a =
        list.find((x) => x.w.mode === d.mode && x.w.port === port && x.w.dataConnectionId === null) ??
        this.near(list, d.mode, d.startedAt) ??
        this.create(st, d.mode, d.startedAt, port);
      this.byData.set(d.id, a);
      const tiedBy: TiedBy =
        d.attribution === 'expectation' ? 'expectation' : d.attribution === 'port' ? 'port' : 'client-time';
      // The connection is the outcome's evidence: its own exact tie (the helper's expectation, or the port) is
      // what the attempt shows, whichever of the log line and the expectation event happened to arrive first.
      const exact = tiedBy !== 'client-time';
      this.update(a, {
        dataConnectionId: d.id,
        port: a.w.port ?? port,
        tiedBy: exact ? tiedBy : (a.w.tiedBy ?? tiedBy),
      });
    }
    a.seen = true;
    const c = a.session;
    a.conn =
      d.mode === 'passive'
        ? { src: c.clientIp, dst: c.serverIp, sport: d.clientPort, dport: d.serverPort, state: d.state }
        : { src: c.serverIp, dst: c.clientIp, sport: d.serverPort, dport: d.clientPort, state: d.state };
    if (d.established) a.answered = true;
    if (CONNECTED.has(d.state)) a.connected = true;
    const patch: Partial<DataChannelAttempt> = {};
    if (a.connected && a.w.outcome !== 'ok')
      Object.assign(patch, { outcome: 'ok', settledAt: d.startedAt, reason: null });
    if (d.bytes !== null) Object.assign(patch, { bytes: d.bytes, bytesFrom: 'conntrack' });
    if (a.answered && !a.connected && (d.state === 'CLOSE' || d.state === 'CLOSED'))
      a.triggerAt ??= d.endedAt ?? d.startedAt;
    this.update(a, patch);
    this.flush(a.session);
  }

  /** Whether a drop to their common port belongs to `b` rather than `a`: the undecided one, else the later. */
  private before(a: Attempt, b: Attempt): boolean {
    if (undecided(a) !== undecided(b)) return undecided(b);
    return b.w.askedAt > a.w.askedAt;
  }

  /** The session's attempts (created on first use). */
  private list(st: SessionState): Attempt[] {
    let list = this.bySession.get(st);
    if (!list) {
      list = [];
      this.bySession.set(st, list);
    }
    return list;
  }

  private latest(list: Attempt[], pred: (a: Attempt) => boolean): Attempt | undefined {
    for (let i = list.length - 1; i >= 0; i--) if (pred(list[i] as Attempt)) return list[i];
    return undefined;
  }

  /** An attempt of this mode without a port, asked for close to `at` (the log line of the same attempt). */
  private near(list: Attempt[], mode: string, at: number): Attempt | undefined {
    return list.find(
      (x) =>
        x.w.mode === mode &&
        x.w.port === null &&
        x.w.dataConnectionId === null &&
        Math.abs(x.w.askedAt - at) <= PAIR_MS,
    );
  }

  private create(st: SessionState, mode: 'passive' | 'active', at: number, port: number | null): Attempt {
    const list = this.list(st);
    // The client moved on from the attempts before this one.
    for (const prev of list) if (prev.w.outcome === 'pending') prev.triggerAt ??= at;
    const a: Attempt = {
      w: {
        id: shortHash('a', st.id, String(this.nth++)),
        mode,
        command: null,
        address: null,
        port,
        askedAt: at,
        outcome: 'pending',
        settledAt: null,
        bytes: null,
        bytesFrom: null,
        ruleId: null,
        dropSource: null,
        tiedBy: null,
        expectationId: null,
        dataConnectionId: null,
        reason: null,
      },
      session: st,
      triggerAt: null,
      seen: false,
      answered: false,
      connected: false,
      logOk: false,
      logBytes: null,
      commandFailed: null,
      conn: null,
      bytesAsked: false,
    };
    list.push(a);
    this.changed.add(st);
    if (port !== null) this.indexPort(a, port);
    if (list.length > MAX_ATTEMPTS_PER_SESSION) {
      this.forget(list.shift() as Attempt);
    }
    if (st.mode === 'unknown') st.mode = mode;
    return a;
  }

  /** Replaces the attempt's wire object when a field changes (the session compares attempts by identity). */
  private update(a: Attempt, patch: Partial<DataChannelAttempt>): void {
    let changed = false;
    for (const k in patch) {
      const key = k as keyof DataChannelAttempt;
      if (a.w[key] !== patch[key]) {
        changed = true;
        break;
      }
    }
    if (!changed) return;
    const before = a.w;
    a.w = { ...a.w, ...patch };
    this.changed.add(a.session);
    if (before.port !== a.w.port) {
      if (before.port !== null) this.allByPort.delete(this.portKeyOf(a, before.port), a);
      if (a.w.port !== null) this.indexPort(a, a.w.port);
    }
    if (before.expectationId !== a.w.expectationId) {
      if (before.expectationId !== null && this.byExp.get(before.expectationId) === a)
        this.byExp.delete(before.expectationId);
      if (a.w.expectationId !== null) this.byExp.set(a.w.expectationId, a);
    }
  }

  /** Drops an attempt from the indexes (its session is gone, or it fell off the per-session limit). */
  private forget(a: Attempt): void {
    if (a.w.dataConnectionId) this.byData.delete(a.w.dataConnectionId);
    if (a.w.expectationId !== null && this.byExp.get(a.w.expectationId) === a)
      this.byExp.delete(a.w.expectationId);
    if (a.w.port !== null) {
      const key = this.portKeyOf(a, a.w.port);
      if (this.byPort.get(key) === a) this.byPort.delete(key);
      this.allByPort.delete(key, a);
    }
  }

  /** The attempt's key in byPort and allByPort for `port`. */
  private portKeyOf(a: Attempt, port: number): string {
    return portKey(a.session.family, a.session.clientIp, a.w.mode, port);
  }

  /** Makes the attempt the latest offered `port` (byPort) and one of those offered it (allByPort). */
  private indexPort(a: Attempt, port: number): void {
    const key = this.portKeyOf(a, port);
    this.byPort.set(key, a);
    this.allByPort.add(key, a);
  }

  /** Emits the session if its attempts changed (an attempt's wire object is replaced on each change). */
  private flush(st: SessionState): void {
    if (this.deferFlush) {
      if (!this.flushQueued && this.changed.size > 0) {
        this.flushQueued = true;
        queueMicrotask(() => this.flushChanged());
      }
      return;
    }
    this.emitChanged(st);
  }

  /** Emits every session whose attempts changed (deferred mode's microtask). */
  private flushChanged(): void {
    this.flushQueued = false;
    for (const st of this.changed) this.emitChanged(st);
  }

  private emitChanged(st: SessionState): void {
    const list = this.bySession.get(st);
    if (!this.changed.delete(st) || !list) return;
    st.attempts = list.map((a) => a.w);
    this.model.emitSession(st);
  }
}

/** Why an attempt tied to its exact port counts as dropped. */
function droppedReason(port: number, source: 'nflog' | 'observed'): string {
  return `its SYN to port ${port} was dropped (${source === 'nflog' ? 'NFLOG' : 'the observation trace'})`;
}
