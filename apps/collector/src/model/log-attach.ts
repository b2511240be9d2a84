import {
  type DialogueLine,
  type FtpMode,
  type FtpTransfer,
  MAX_DIALOGUE_LINES,
  maskFtpCommand,
} from '@ftpscope/shared';
import type { FtpLogRecord } from '../ftp-servers/log-record.ts';
import { type ChannelSignal, channelSignal } from './channel-signals.ts';
import type { SessionModel, SessionState } from './sessions.ts';

/** The log says seconds (truncated), conntrack says milliseconds: accept this much difference either way. */
const MATCH_WINDOW_MS = 5000;
const MAX_TRANSFERS = 50;
const MAX_LOG_SESSIONS = 10_000;
/** Log sessions (the newest) that keep collecting dialogue lines: bounds the memory the dialogue takes. */
const MAX_DIALOGUE_SESSIONS = 2000;
/** How long a log session that did not bind is retried as sessions appear: beyond bind's widest window. */
const UNBOUND_RETRY_MS = 120_000;
/** Data-channel signals kept for a log session not bound yet. */
const MAX_PENDING_SIGNALS = 200;

/** Where data-channel signals of a bound session go (the DataChannelTracker). */
export interface SignalSink {
  logSignal(st: SessionState, sig: ChannelSignal): void;
}

interface LogSession {
  client: string;
  /** The client's control port, when the log names it: binds exactly. */
  clientPort: number | null;
  connectAt: number;
  connectPid: number | null;
  pids: Set<number>;
  user: string | null;
  anonymous: boolean;
  /** The name the client sent with USER (before login). */
  requested: string | null;
  tls: boolean;
  mode: FtpMode | null;
  requestedHost: string | null;
  lastCommand: string | null;
  transfers: FtpTransfer[];
  /** Commands (secrets masked) and replies, the most recent MAX_DIALOGUE_LINES. */
  dialogue: DialogueLine[];
  dialogueOmitted: number;
  /** False once older than the newest MAX_DIALOGUE_SESSIONS: its dialogue was sent and is no longer kept. */
  keepsDialogue: boolean;
  /** Signals not yet handed to the tracker (the session is not bound yet). */
  signals: ChannelSignal[];
  session: SessionState | null;
}

/** How a log's sessions start: with a CONNECT-like line (vsftpd, Pure-FTPd), or with any line of a new pid (ProFTPD). */
export type SessionStart = 'connect' | 'pid';

/**
 * Attaches FTP server log lines to conntrack sessions. A log session opens on a connect line (or, for logs
 * without one, on the first line of a new server pid); it binds to the conntrack session with the same
 * client address and port when the log names the port, else to the one of the same client address that
 * started closest in time. Later lines find it by pid (a vsftpd session's processes get pids at or after
 * its CONNECT pid - 1), by client port, or by client address. User, TLS (AUTH), mode (PASV/EPSV/PORT/EPRT),
 * HOST and transfers are copied onto the session; data-channel signals go to the sink.
 */
export class LogAttacher {
  private readonly logSessions: LogSession[] = [];
  /** Log sessions by the conntrack session they are bound to (a session binds one log session). */
  private readonly bySession = new Map<SessionState, LogSession>();
  /** Log sessions not bound yet, retried when sessions appear (until UNBOUND_RETRY_MS after their start). */
  private readonly unbound = new Set<LogSession>();
  /** Time of the newest log record. */
  private lastAt = 0;

  constructor(
    private readonly model: SessionModel,
    private readonly sink: SignalSink | null = null,
  ) {}

  /**
   * Applies the records of one read of the log, then binds and updates each log session they touched once: a
   * read holds up to a poll's worth of lines, and each update compares and copies the session's dialogue.
   */
  apply(recs: Iterable<FtpLogRecord>, start: SessionStart = 'connect'): void {
    const touched = new Set<LogSession>();
    for (const rec of recs) {
      this.lastAt = Math.max(this.lastAt, rec.at);
      const ls = this.take(rec, start);
      if (ls) touched.add(ls);
    }
    for (const ls of touched) this.bind(ls);
  }

  /** Copies one record onto its log session (opened here for a connect line); returns that session. */
  private take(rec: FtpLogRecord, start: SessionStart): LogSession | null {
    if (rec.kind === 'connect') return this.open(rec);
    let ls = this.find(rec);
    if (!ls && rec.pid !== null && start === 'pid') ls = this.open(rec);
    if (!ls) return null;
    if (rec.kind === 'login') {
      if (rec.ok) {
        ls.user = rec.user;
        ls.anonymous = rec.user === 'anonymous';
      }
    } else if (rec.kind === 'command') {
      if (rec.command === 'PASV' || rec.command === 'EPSV') ls.mode = 'passive';
      else if (rec.command === 'PORT' || rec.command === 'EPRT') ls.mode = 'active';
      else if (rec.command === 'HOST') ls.requestedHost = rec.arg.slice(0, 256) || null;
      else if (rec.command === 'USER' && !rec.user) ls.requested = rec.arg;
      if (rec.user) this.loggedIn(ls, rec.user);
    } else if (rec.kind === 'response') {
      // 234 is only ever the reply to AUTH TLS/SSL: the control channel is encrypted from here on.
      if (rec.code === 234) ls.tls = true;
    } else if (rec.kind === 'transfer') {
      if (rec.user) this.loggedIn(ls, rec.user);
      ls.transfers.push({
        at: rec.at,
        direction: rec.direction,
        path: rec.path.slice(0, 1024),
        bytes: rec.bytes,
        ok: rec.ok,
      });
      if (ls.transfers.length > MAX_TRANSFERS) ls.transfers.shift();
    }
    this.record(ls, rec);
    const sig = channelSignal(rec, ls.lastCommand);
    if (rec.kind === 'command') ls.lastCommand = rec.command;
    if (sig) {
      ls.signals.push(sig);
      if (ls.signals.length > MAX_PENDING_SIGNALS) ls.signals.shift();
    }
    return ls;
  }

  /** Keeps a command or reply for the session's dialogue; a secret argument never leaves this function. */
  private record(ls: LogSession, rec: FtpLogRecord): void {
    let line: DialogueLine;
    if (rec.kind === 'command') {
      const text = maskFtpCommand(rec.arg === '' ? rec.command : `${rec.command} ${rec.arg}`);
      line = { at: rec.at, dir: 'command', text: text.slice(0, 512) };
    } else if (rec.kind === 'response') {
      line = { at: rec.at, dir: 'reply', text: `${rec.code} ${rec.text}`.slice(0, 512) };
    } else return;
    if (!ls.keepsDialogue) return;
    ls.dialogue.push(line);
    if (ls.dialogue.length > MAX_DIALOGUE_LINES) {
      ls.dialogue.shift();
      ls.dialogueOmitted++;
    }
  }

  /**
   * A line after login names the local user it runs as: for an anonymous login that is vsftpd's ftp_username
   * (`ftp`), and the privileged process's OK LOGIN line may be written after the session's own lines. A client
   * that asked for USER anonymous/ftp is therefore anonymous already.
   */
  private loggedIn(ls: LogSession, user: string): void {
    if (ls.anonymous) return;
    const requested = ls.requested?.toLowerCase();
    if (requested === 'anonymous' || requested === 'ftp') {
      ls.user = 'anonymous';
      ls.anonymous = true;
    } else ls.user ??= user;
  }

  /** Retries binding log sessions that arrived before their conntrack session (call when sessions appear). */
  rebind(): void {
    for (const ls of this.unbound) {
      // Too old to bind (bind's time windows): a log whose sessions never show in conntrack must not make
      // every new session retry thousands of them.
      if (this.lastAt - ls.connectAt > UNBOUND_RETRY_MS) this.unbound.delete(ls);
      else this.bind(ls);
    }
  }

  private open(rec: FtpLogRecord): LogSession {
    const ls: LogSession = {
      client: rec.client,
      clientPort: rec.clientPort ?? null,
      connectAt: rec.at,
      connectPid: rec.pid,
      pids: new Set(rec.pid === null ? [] : [rec.pid]),
      user: null,
      anonymous: false,
      requested: null,
      tls: false,
      mode: null,
      requestedHost: null,
      lastCommand: null,
      transfers: [],
      dialogue: [],
      dialogueOmitted: 0,
      keepsDialogue: true,
      signals: [],
      session: null,
    };
    this.logSessions.push(ls);
    this.unbound.add(ls);
    if (this.logSessions.length > MAX_LOG_SESSIONS) this.forget(this.logSessions.shift() as LogSession);
    const old = this.logSessions[this.logSessions.length - 1 - MAX_DIALOGUE_SESSIONS];
    if (old) {
      old.keepsDialogue = false;
      old.dialogue = [];
    }
    return ls;
  }

  private forget(ls: LogSession): void {
    this.unbound.delete(ls);
    if (ls.session && this.bySession.get(ls.session) === ls) this.bySession.delete(ls.session);
  }

  private attach(ls: LogSession, st: SessionState): void {
    ls.session = st;
    this.bySession.set(st, ls);
    this.unbound.delete(ls);
  }

  private find(rec: FtpLogRecord): LogSession | null {
    const { client, pid, at } = rec;
    const port = rec.clientPort ?? null;
    let best: LogSession | null = null;
    for (let i = this.logSessions.length - 1; i >= 0; i--) {
      const ls = this.logSessions[i] as LogSession;
      if (ls.client !== client) continue;
      if (port !== null) {
        // The same client port under another server pid is a new session that reused the port.
        if (ls.clientPort === port && (pid === null || ls.pids.size === 0 || ls.pids.has(pid))) return ls;
        continue;
      }
      if (pid !== null && ls.pids.has(pid)) return ls;
      if (pid !== null && ls.connectPid !== null) {
        if (ls.connectPid - 1 <= pid && (!best || (best.connectPid ?? 0) < ls.connectPid)) best = ls;
      } else if (ls.connectAt <= at + 1000 && (!best || best.connectAt < ls.connectAt)) best = ls;
    }
    if (port !== null) return null;
    if (best && pid !== null) best.pids.add(pid);
    if (!best && pid === null) return this.xferSession(client, at);
    return best;
  }

  /** xferlog lines have no pid and no CONNECT: make a log session for the client's latest conntrack session. */
  private xferSession(client: string, at: number): LogSession | null {
    let best: SessionState | null = null;
    for (const s of this.model.sessionsOfClient(client)) {
      // A session seen only ending has no known start: matching log times against it would guess.
      if (!s.startUnknown && s.startedAt <= at + 1000 && (!best || best.startedAt < s.startedAt)) best = s;
    }
    if (!best) return null;
    const existing = this.bySession.get(best);
    if (existing) return existing;
    const ls = this.open({ kind: 'connect', at, pid: null, client });
    this.attach(ls, best);
    return ls;
  }

  private bind(ls: LogSession): void {
    if (!ls.session) {
      let best: SessionState | null = null;
      for (const s of this.model.sessionsOfClient(ls.client)) {
        if (s.startUnknown || this.bySession.has(s)) continue;
        if (ls.clientPort !== null && s.clientPort !== ls.clientPort) continue;
        const d = Math.abs(s.startedAt - ls.connectAt);
        // With the client port known the tuple decides; time only separates a reused port's sessions.
        if (d > (ls.clientPort !== null ? 60_000 : MATCH_WINDOW_MS)) continue;
        if (!best || d < Math.abs(best.startedAt - ls.connectAt)) best = s;
      }
      if (best) this.attach(ls, best);
    }
    const st = ls.session;
    if (!st) return;
    this.model.updateFromLog(st, {
      user: ls.user,
      tls: ls.tls,
      mode: ls.mode,
      transfers: ls.transfers.length > 0 ? ls.transfers : null,
      requestedHost: ls.requestedHost,
      dialogue: ls.dialogue.length > 0 ? ls.dialogue : null,
      dialogueOmitted: ls.dialogueOmitted,
    });
    if (this.sink && ls.signals.length > 0) {
      const signals = ls.signals.splice(0);
      for (const sig of signals) this.sink.logSignal(st, sig);
    }
  }
}
