import type { FtpMode, FtpTransfer } from '@ftpscope/shared';
import type { FtpLogRecord } from '../sources/vsftpd-log-parse.ts';
import type { SessionModel, SessionState } from './sessions.ts';

/** The log says seconds (truncated), conntrack says milliseconds: accept this much difference either way. */
const MATCH_WINDOW_MS = 5000;
const MAX_TRANSFERS = 50;
const MAX_LOG_SESSIONS = 10_000;

interface LogSession {
  client: string;
  connectAt: number;
  connectPid: number | null;
  pids: Set<number>;
  user: string | null;
  anonymous: boolean;
  /** The name the client sent with USER (before login). */
  requested: string | null;
  tls: boolean;
  mode: FtpMode | null;
  transfers: FtpTransfer[];
  session: SessionState | null;
}

/**
 * Attaches FTP server log lines to conntrack sessions: a CONNECT line opens a log session, bound to the
 * conntrack session of the same client address that started closest in time; later lines find their log
 * session by vsftpd pid (a session's processes get pids at or after its CONNECT pid - 1). User, TLS (AUTH),
 * mode (PASV/EPSV/PORT/EPRT) and transfers are copied onto the session.
 */
export class LogAttacher {
  private readonly logSessions: LogSession[] = [];

  constructor(private readonly model: SessionModel) {}

  apply(rec: FtpLogRecord): void {
    if (rec.kind === 'connect') {
      const ls: LogSession = {
        client: rec.client,
        connectAt: rec.at,
        connectPid: rec.pid,
        pids: new Set([rec.pid]),
        user: null,
        anonymous: false,
        requested: null,
        tls: false,
        mode: null,
        transfers: [],
        session: null,
      };
      this.logSessions.push(ls);
      if (this.logSessions.length > MAX_LOG_SESSIONS) this.logSessions.shift();
      this.bind(ls);
      return;
    }
    const ls = this.find(rec.client, rec.pid, rec.at);
    if (!ls) return;
    if (rec.kind === 'login') {
      if (rec.ok) {
        ls.user = rec.user;
        ls.anonymous = rec.user === 'anonymous';
      }
    } else if (rec.kind === 'command') {
      if (rec.command === 'PASV' || rec.command === 'EPSV') ls.mode = 'passive';
      else if (rec.command === 'PORT' || rec.command === 'EPRT') ls.mode = 'active';
      else if (rec.command === 'USER' && rec.user === null) ls.requested = rec.arg;
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
    this.bind(ls);
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
    for (const ls of this.logSessions) if (!ls.session) this.bind(ls);
  }

  private find(client: string, pid: number | null, at: number): LogSession | null {
    let best: LogSession | null = null;
    for (let i = this.logSessions.length - 1; i >= 0; i--) {
      const ls = this.logSessions[i] as LogSession;
      if (ls.client !== client) continue;
      if (pid !== null && ls.pids.has(pid)) return ls;
      if (pid !== null && ls.connectPid !== null) {
        if (ls.connectPid - 1 <= pid && (!best || (best.connectPid ?? 0) < ls.connectPid)) best = ls;
      } else if (ls.connectAt <= at + 1000 && (!best || best.connectAt < ls.connectAt)) best = ls;
    }
    if (best && pid !== null) best.pids.add(pid);
    if (!best && pid === null) return this.xferSession(client, at);
    return best;
  }

  /** xferlog lines have no pid and no CONNECT: make a log session for the client's latest conntrack session. */
  private xferSession(client: string, at: number): LogSession | null {
    const ls: LogSession = {
      client,
      connectAt: at,
      connectPid: null,
      pids: new Set(),
      user: null,
      anonymous: false,
      requested: null,
      tls: false,
      mode: null,
      transfers: [],
      session: null,
    };
    let best: SessionState | null = null;
    for (const s of this.model.allSessions()) {
      // A session seen only ending has no known start: matching log times against it would guess.
      if (
        s.s.client.ip === client &&
        !s.startUnknown &&
        s.s.startedAt <= at + 1000 &&
        (!best || best.s.startedAt < s.s.startedAt)
      )
        best = s;
    }
    if (!best) return null;
    const existing = this.logSessions.find((l) => l.session === best);
    if (existing) return existing;
    ls.session = best;
    this.logSessions.push(ls);
    return ls;
  }

  private bind(ls: LogSession): void {
    if (!ls.session) {
      const taken = new Set(this.logSessions.map((l) => l.session).filter((s) => s !== null));
      let best: SessionState | null = null;
      for (const s of this.model.allSessions()) {
        if (s.s.client.ip !== ls.client || s.startUnknown || taken.has(s)) continue;
        const d = Math.abs(s.s.startedAt - ls.connectAt);
        if (d > MATCH_WINDOW_MS) continue;
        if (!best || d < Math.abs(best.s.startedAt - ls.connectAt)) best = s;
      }
      ls.session = best;
    }
    const st = ls.session;
    if (!st) return;
    st.s.user = ls.user;
    st.s.tls = ls.tls;
    if (st.dataMode === null && ls.mode !== null) st.s.mode = ls.mode;
    if (ls.transfers.length > 0) st.s.transfers = [...ls.transfers];
    this.model.emitSession(st);
  }
}
