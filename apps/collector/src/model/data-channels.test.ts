import type { CollectorEvent, DataChannelAttempt, DroppedPacket, FtpSession } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import type { FtpLogRecord } from '../ftp-servers/log-record.ts';
import { parsePureFtpdSyslog } from '../ftp-servers/pure-ftpd/log-parse.ts';
import { parseFtpLogLine } from '../ftp-servers/vsftpd/log-parse.ts';
import type { ConntrackRecord } from '../sources/conntrack-parse.ts';
import type { ExpectRecord } from '../sources/expect-parse.ts';
import type { CounterDrop } from './channel-outcome.ts';
import { DataChannelTracker } from './data-channels.ts';
import { LogAttacher } from './log-attach.ts';
import { SessionModel } from './sessions.ts';

/**
 * The tracker wired as host-monitor wires it, fed with conntrack records, expectations, log lines (in the
 * recorded vsftpd and Pure-FTPd formats), drops and counters, in the order the lab produces them.
 */
const C = '198.18.250.2';
const S = '198.18.250.1';
// vsftpd writes whole seconds: the tests run on whole seconds too.
const T0 = new Date(2026, 10, 30, 12, 0, 0).getTime();

function harness(deferFlush = false) {
  const events: CollectorEvent[] = [];
  const model: SessionModel = new SessionModel({
    host: 'h1',
    ftpPorts: [21],
    passiveRange: () => [40000, 40100],
    emit: (e, st) => {
      tracker.observe(e, st);
      events.push(e);
    },
    portOwner: (f, s, d, p) => tracker.portOwner(f, s, d, p),
  });
  const tracker: DataChannelTracker = new DataChannelTracker(model, () => [40000, 40100], deferFlush);
  const attacher = new LogAttacher(model, tracker);
  const ct = (r: Partial<ConntrackRecord> & { id: string; at: number; sport: number; dport: number }) => {
    const rec: ConntrackRecord = {
      event: 'NEW',
      family: 'ipv4',
      proto: 'tcp',
      timeout: 120,
      state: 'SYN_SENT',
      unreplied: true,
      assured: false,
      helper: null,
      bytes: null,
      master: null,
      ...r,
      orig: r.orig ?? { src: C, dst: S, sport: r.sport, dport: r.dport },
      reply: r.reply ?? { src: S, dst: C, sport: r.dport, dport: r.sport },
    };
    model.applyConntrack(rec, r.at);
  };
  /** A control connection from client port `sport`, established at `at`. */
  const control = (id: string, sport: number, at: number, helper: string | null = null) => {
    ct({ id, at, sport, dport: 21, helper });
    ct({ id, at: at + 1, sport, dport: 21, event: 'UPDATE', state: 'ESTABLISHED', unreplied: false, helper });
  };
  /** A data connection from client port `sport` to `dport`: its SYN at `at`, established a millisecond later. */
  const established = (id: string, sport: number, dport: number, at: number) => {
    ct({ id, at, sport, dport });
    ct({ id, at: at + 1, sport, dport, event: 'UPDATE', state: 'ESTABLISHED', unreplied: false });
  };
  const close = (id: string, sport: number, at: number, state = 'TIME_WAIT') =>
    ct({ id, at, sport, dport: 21, event: 'UPDATE', state, unreplied: false });
  const expect_ = (sport: number, port: number, at: number, event: 'NEW' | 'DESTROY' = 'NEW') => {
    const rec: ExpectRecord = {
      event,
      at,
      family: 'ipv4',
      timeout: 300,
      protonum: 6,
      tuple: { src: C, dst: S, sport: 0, dport: port },
      master: { src: C, dst: S, sport, dport: 21 },
      helper: 'ftp',
    };
    model.applyExpect(rec, at);
  };
  const log = (recs: FtpLogRecord[] | null | 'skip') => {
    if (!Array.isArray(recs)) throw new Error('log line not understood');
    attacher.apply(recs);
  };
  const vsftpd = (at: number, pid: number, what: string) => {
    // "Mon Nov 30 12:00:00 2026" as vsftpd writes it (local time, whole seconds).
    const d = new Date(at);
    const s = d.toString();
    const ctime = `${s.slice(0, 7)} ${String(d.getDate()).padStart(2, ' ')} ${s.slice(16, 24)} ${d.getFullYear()}`;
    log(parseFtpLogLine(`${ctime} [pid ${pid}] ${what}`));
  };
  /** vsftpd's log of a 227 reply offering `port` (40042) on `address` (commas, as in the reply). */
  const offer = (at: number, pid: number, address = '198,18,250,1', port = 40042) =>
    vsftpd(
      at,
      pid,
      `[ftp] FTP response: Client "${C}", "227 Entering Passive Mode (${address},${port >> 8},${port & 255})."`,
    );
  const counters = (at: number, drops: Array<Partial<CounterDrop>>) =>
    tracker.counters(
      at,
      drops.map((d) => ({
        at,
        from: at - 500,
        ruleId: 'policy-input',
        packets: 3,
        direction: 'in',
        family: 'ipv4',
        verdict: 'drop',
        ...d,
      })),
    );
  /** The observation table's trace of a SYN from the client dropped by the INPUT policy. */
  const traced = (at: number, dport = 40042, sport = 50000): DroppedPacket => ({
    at,
    group: 0,
    ruleId: 'policy-input',
    prefix: null,
    proto: 'tcp',
    src: C,
    dst: S,
    sport,
    dport,
    flags: 'S',
    source: 'trace',
    verdict: 'drop',
  });
  const session = (): FtpSession => {
    const all = events.filter((e) => e.kind === 'session').map((e) => (e as { session: FtpSession }).session);
    return all.at(-1) as FtpSession;
  };
  const attempts = (id?: string): DataChannelAttempt[] => {
    const all = events.filter((e) => e.kind === 'session').map((e) => (e as { session: FtpSession }).session);
    const s = id ? all.filter((x) => x.id === id).at(-1) : all.at(-1);
    return s?.attempts ?? [];
  };
  /** The first session event of the control connection from client port `port`. */
  const sessionFrom = (port: number) =>
    (
      events.find((e) => e.kind === 'session' && e.session.client.port === port) as
        | { session: FtpSession }
        | undefined
    )?.session;
  return {
    model,
    tracker,
    attacher,
    ct,
    control,
    established,
    close,
    expect: expect_,
    log,
    vsftpd,
    offer,
    counters,
    traced,
    session,
    sessionFrom,
    attempts,
    events,
  };
}

describe('DataChannelTracker: deferred emissions (as host-monitor runs it)', () => {
  it('emits each changed session once after the task, with the same attempts as emitting after each change', async () => {
    const run = (h: ReturnType<typeof harness>) => {
      h.control('1', 41000, T0, 'ftp');
      h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
      for (let i = 0; i < 3; i++) {
        const at = T0 + 1000 * (i + 1);
        h.vsftpd(at, 101, `[ftp] FTP command: Client "${C}", "PASV"`);
        h.expect(41000, 40042 + i, at + 100);
        h.established(String(10 + i), 50000 + i, 40042 + i, at + 200);
        h.expect(41000, 40042 + i, at + 201, 'DESTROY');
      }
    };
    const now = harness();
    const later = harness(true);
    run(now);
    run(later);
    const sessions = (h: ReturnType<typeof harness>) => h.events.filter((e) => e.kind === 'session').length;
    const before = sessions(later);
    await Promise.resolve();
    expect(sessions(later)).toBe(before + 1); // the one control session, once
    expect(later.attempts()).toEqual(now.attempts());
    expect(later.attempts()).toHaveLength(3);
    expect(later.attempts().map((a) => a.outcome)).toEqual(['ok', 'ok', 'ok']);
    expect(sessions(now)).toBeGreaterThan(sessions(later));
  });
});

describe('DataChannelTracker: one attempt per data channel, with its outcome', () => {
  it('helper host: PASV in the log, expectation and established data connection make one ok attempt with the exact port', () => {
    const h = harness();
    h.control('1', 41000, T0, 'ftp');
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    h.vsftpd(T0 + 1000, 101, `[ftp] FTP command: Client "${C}", "PASV"`);
    // The kernel sees the reply first; the log line of the reply comes a poll later.
    h.expect(41000, 40042, T0 + 1100);
    h.vsftpd(
      T0 + 1000,
      101,
      `[ftp] FTP response: Client "${C}", "227 Entering Passive Mode (198,18,250,1,156,106)."`,
    );
    expect(h.session().mode).toBe('passive');
    h.established('2', 50000, 40042, T0 + 1200);
    h.vsftpd(
      T0 + 2000,
      101,
      `[ftp] OK DOWNLOAD: Client "${C}", "/1MB.bin", 1048576 bytes, 90000.00Kbyte/sec`,
    );
    const [a, ...rest] = h.attempts();
    expect(rest).toEqual([]);
    expect(a).toMatchObject({
      mode: 'passive',
      command: 'PASV',
      address: S,
      port: 40042,
      outcome: 'ok',
      bytes: 1048576,
      bytesFrom: 'server-log',
      // The expectation (master tuple) tied it first; the log's port agreed.
      tiedBy: 'expectation',
      expectationId: expect.any(String),
      dataConnectionId: expect.any(String),
    });
    // Accounting on: the kernel's count wins over the log's.
    h.ct({
      id: '2',
      at: T0 + 2100,
      sport: 50000,
      dport: 40042,
      event: 'DESTROY',
      state: 'TIME_WAIT',
      unreplied: false,
      bytes: 1_100_000,
    });
    expect(h.attempts()[0]).toMatchObject({ outcome: 'ok', bytes: 1_100_000, bytesFrom: 'conntrack' });
  });

  it('helper host: the tie is the same whichever of the log reply and the expectation arrives first', () => {
    // Seen in a fresh-machine CI run: under load the log line of the 227 reply was read before the kernel's
    // expectation event, and the attempt said "tied by the exact port" instead of the helper's expectation.
    const h = harness();
    h.control('1', 41000, T0, 'ftp');
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    h.vsftpd(T0 + 1000, 101, `[ftp] FTP command: Client "${C}", "PASV"`);
    h.vsftpd(
      T0 + 1000,
      101,
      `[ftp] FTP response: Client "${C}", "227 Entering Passive Mode (198,18,250,1,156,106)."`,
    );
    h.expect(41000, 40042, T0 + 1100);
    h.established('2', 50000, 40042, T0 + 1200);
    const [a, ...rest] = h.attempts();
    expect(rest).toEqual([]);
    expect(a).toMatchObject({
      port: 40042,
      outcome: 'ok',
      tiedBy: 'expectation',
      dataConnectionId: expect.any(String),
    });
  });

  it('no helper: the SYN dies on the INPUT policy; once the client gives up the counters name the policy (tied by time)', () => {
    const h = harness();
    h.control('1', 41000, T0);
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    h.vsftpd(T0 + 1000, 101, `[ftp] FTP command: Client "${C}", "PASV"`);
    h.vsftpd(
      T0 + 1000,
      101,
      `[ftp] FTP response: Client "${C}", "227 Entering Passive Mode (198,18,250,1,156,106)."`,
    );
    h.counters(T0 + 1500, [{ packets: 1 }]);
    h.counters(T0 + 3000, [{ packets: 2 }]);
    h.tracker.tick(T0 + 3500);
    expect(h.attempts()[0]).toMatchObject({ outcome: 'pending', port: 40042 });
    h.close('1', 41000, T0 + 4000);
    // Waits for a counter poll that covers the moment the client gave up.
    h.tracker.tick(T0 + 4100);
    expect(h.attempts()[0]?.outcome).toBe('pending');
    h.counters(T0 + 4500, []);
    h.tracker.tick(T0 + 4600);
    expect(h.attempts()[0]).toMatchObject({
      outcome: 'dropped',
      ruleId: 'policy-input',
      dropSource: 'counters',
      tiedBy: 'time',
      settledAt: T0 + 4000,
    });
    expect(h.attempts()[0]?.reason).toMatch(/3 packets dropped/);
    // The observation table's trace of that very SYN, read later, is the better evidence: it replaces the counters'.
    h.tracker.drop(h.traced(T0 + 1100));
    expect(h.attempts()[0]).toMatchObject({ outcome: 'dropped', dropSource: 'observed', tiedBy: 'port' });
  });

  it('an NFLOG drop to the offered port is tied by that port; without a port in the log, by client and time', () => {
    const h = harness();
    h.control('1', 41000, T0);
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    h.vsftpd(
      T0 + 1000,
      101,
      `[ftp] FTP response: Client "${C}", "227 Entering Passive Mode (198,18,250,1,156,106)."`,
    );
    const drop = {
      at: T0 + 1100,
      group: 5,
      ruleId: 'nflog-rule',
      prefix: 'drop',
      proto: 'tcp',
      src: C,
      dst: S,
      sport: 50000,
      dport: 40042,
      flags: 'S',
    };
    h.tracker.drop(drop);
    expect(h.attempts()[0]).toMatchObject({
      outcome: 'dropped',
      ruleId: 'nflog-rule',
      dropSource: 'nflog',
      tiedBy: 'port',
    });

    // Pure-FTPd logs PASV but not its reply: the port is unknown until the drop shows it.
    const p = harness();
    p.control('1', 41000, T0);
    const line = (t: number, msg: string) => {
      const d = new Date(t).toString();
      return `${d.slice(4, 10)} ${d.slice(16, 24)} vm ftp.info pure-ftpd[7]: (ftp@${C}) ${msg}`;
    };
    p.log(parsePureFtpdSyslog(line(T0, `[INFO] New connection from ${C}`), T0 + 60_000));
    p.log(parsePureFtpdSyslog(line(T0 + 1000, '[DEBUG] Command [pasv] []'), T0 + 60_000));
    expect(p.session().mode).toBe('passive');
    p.tracker.drop({ ...drop, ruleId: 'nflog-rule', dport: 40077 });
    expect(p.attempts()).toEqual([
      expect.objectContaining({ command: 'PASV', port: 40077, outcome: 'dropped', tiedBy: 'client-time' }),
    ]);
  });

  it('a traced drop that arrives before the log line with the port is tied by that port once the reply is read', () => {
    const h = harness();
    h.control('1', 41000, T0);
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    h.vsftpd(T0 + 1000, 101, `[ftp] FTP command: Client "${C}", "PASV"`);
    // The observation table's trace is read within milliseconds; the server log by polling, later.
    h.tracker.drop(h.traced(T0 + 1100));
    expect(h.attempts()[0]).toMatchObject({ outcome: 'dropped', tiedBy: 'client-time' });
    h.vsftpd(
      T0 + 1000,
      101,
      `[ftp] FTP response: Client "${C}", "227 Entering Passive Mode (198,18,250,1,156,106)."`,
    );
    expect(h.attempts()).toEqual([
      expect.objectContaining({
        outcome: 'dropped',
        port: 40042,
        tiedBy: 'port',
        dropSource: 'observed',
        reason: 'its SYN to port 40042 was dropped (the observation trace)',
      }),
    ]);
  });

  it("a traced drop read before its session's control connection goes to that session, not to the client's ended one", () => {
    const h = harness();
    // Listing 1: offered 40042, its SYN traced and dropped; the client gives up.
    h.control('1', 41000, T0);
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    h.vsftpd(T0 + 1000, 101, `[ftp] FTP command: Client "${C}", "PASV"`);
    h.offer(T0 + 1000, 101);
    h.tracker.drop(h.traced(T0 + 1100, 40042, 50042));
    h.close('1', 41000, T0 + 3000);
    h.tracker.tick(T0 + 3100);
    // Listing 2 (offers 40043): the trace of its first SYN is read before its control connection's event
    // (the trace and conntrack readers are separate processes), while listing 1's session is the client's newest.
    h.tracker.drop(h.traced(T0 + 4100, 40043, 50043));
    h.control('2', 41010, T0 + 3900);
    h.vsftpd(T0 + 3900, 200, `CONNECT: Client "${C}"`);
    h.vsftpd(T0 + 4000, 201, `[ftp] FTP command: Client "${C}", "PASV"`);
    h.offer(T0 + 4000, 201, '198,18,250,1', 40043);
    h.tracker.drop(h.traced(T0 + 5100, 40043, 50043));
    h.counters(T0 + 5500, [{ packets: 3 }]);
    h.close('2', 41010, T0 + 7000);
    h.counters(T0 + 7500, []);
    h.tracker.tick(T0 + 7600);
    expect(h.attempts(h.sessionFrom(41000)?.id)).toEqual([
      expect.objectContaining({ port: 40042, outcome: 'dropped', dropSource: 'observed', tiedBy: 'port' }),
    ]);
    expect(h.attempts(h.sessionFrom(41010)?.id)).toEqual([
      expect.objectContaining({
        command: 'PASV',
        port: 40043,
        outcome: 'dropped',
        dropSource: 'observed',
        tiedBy: 'port',
        settledAt: T0 + 4100,
      }),
    ]);
  });

  it("a traced drop to a repeated port goes to the later session's attempt, not to the earlier one it already decided", () => {
    const h = harness();
    // Two listings of one client, no helper; the server offers port 40042 both times (a range of 100 repeats).
    h.control('1', 41000, T0);
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    h.vsftpd(T0 + 1000, 101, `[ftp] FTP command: Client "${C}", "PASV"`);
    h.offer(T0 + 1000, 101);
    h.tracker.drop(h.traced(T0 + 1100, 40042, 50000));
    h.close('1', 41000, T0 + 3000);
    h.tracker.tick(T0 + 3100);
    h.control('2', 41010, T0 + 3900);
    h.vsftpd(T0 + 3900, 200, `CONNECT: Client "${C}"`);
    h.vsftpd(T0 + 4000, 201, `[ftp] FTP command: Client "${C}", "PASV"`);
    h.offer(T0 + 4000, 201);
    h.tracker.drop(h.traced(T0 + 4100, 40042, 50010));
    h.tracker.drop(h.traced(T0 + 5100, 40042, 50010));
    h.counters(T0 + 5500, [{ packets: 3 }]);
    h.close('2', 41010, T0 + 7000);
    h.counters(T0 + 7500, []);
    h.tracker.tick(T0 + 7600);
    const one = (at: number) =>
      expect.objectContaining({
        port: 40042,
        outcome: 'dropped',
        dropSource: 'observed',
        tiedBy: 'port',
        settledAt: at,
      });
    expect(h.attempts(h.sessionFrom(41000)?.id)).toEqual([one(T0 + 1100)]);
    expect(h.attempts(h.sessionFrom(41010)?.id)).toEqual([one(T0 + 4100)]);
  });

  it("an active-mode drop (the server's SYN to the port the client named) is tied by that port; a forgotten session's attempt takes no drop", () => {
    const h = harness();
    h.control('1', 41000, T0);
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    h.vsftpd(T0 + 1000, 101, `[ftp] FTP command: Client "${C}", "PORT 198,18,250,2,156,106"`);
    const serverSyn = { ...h.traced(T0 + 1100, 40042, 20), src: S, dst: C };
    // The same port from another server address is not this session's.
    h.tracker.drop({ ...serverSyn, src: '198.18.250.9' });
    expect(h.attempts()).toEqual([
      expect.objectContaining({ mode: 'active', port: 40042, outcome: 'pending' }),
    ]);
    h.tracker.drop(serverSyn);
    expect(h.attempts()).toEqual([
      expect.objectContaining({ mode: 'active', port: 40042, outcome: 'dropped', tiedBy: 'port' }),
    ]);

    // A second session of the client, offered 40043, destroyed and forgotten by the model (its minute of
    // lingering over) before the tracker's own tick lets go of its attempts.
    h.control('2', 41010, T0 + 2000);
    h.vsftpd(T0 + 2000, 200, `CONNECT: Client "${C}"`);
    h.vsftpd(T0 + 3000, 201, `[ftp] FTP command: Client "${C}", "PASV"`);
    h.offer(T0 + 3000, 201, '198,18,250,1', 40043);
    const second = h.sessionFrom(41010)?.id;
    expect(h.attempts(second)).toEqual([expect.objectContaining({ port: 40043, outcome: 'pending' })]);
    h.ct({ id: '2', at: T0 + 4000, sport: 41010, dport: 21, event: 'DESTROY', state: null });
    h.model.tick(T0 + 65_000);
    h.tracker.drop(h.traced(T0 + 65_100, 40043));
    expect(h.attempts(second)).toEqual([expect.objectContaining({ port: 40043, outcome: 'pending' })]);
    // The client's live session takes it, tied by client and time.
    expect(h.attempts(h.sessionFrom(41000)?.id).at(-1)).toMatchObject({
      mode: 'passive',
      port: 40043,
      outcome: 'dropped',
      tiedBy: 'client-time',
    });
  });

  it('one session offered the same port twice: each reply ties its own attempt and data connection by port', () => {
    const h = harness();
    h.control('1', 41000, T0);
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    for (const [i, at] of [T0 + 1000, T0 + 10_000].entries()) {
      h.vsftpd(at, 101, `[ftp] FTP command: Client "${C}", "PASV"`);
      h.offer(at, 101);
      h.established(`d${i}`, 50000 + i, 40042, at + 100);
    }
    expect(h.attempts()).toEqual([
      expect.objectContaining({ port: 40042, outcome: 'ok', tiedBy: 'port', askedAt: T0 + 1000 }),
      expect.objectContaining({ port: 40042, outcome: 'ok', tiedBy: 'port', askedAt: T0 + 10_000 }),
    ]);
  });

  it('a drop no live session claims is held, then goes to the newest session of its client (a server without a log)', () => {
    const h = harness();
    h.control('1', 41000, T0);
    h.close('1', 41000, T0 + 2000);
    // Read after the client gave up (the trace is flushed with the rule poll); no session comes for it.
    h.tracker.drop(h.traced(T0 + 2100));
    h.tracker.tick(T0 + 3000);
    expect(h.attempts()).toEqual([]);
    h.tracker.tick(T0 + 7100);
    expect(h.attempts()).toEqual([
      expect.objectContaining({
        port: 40042,
        outcome: 'dropped',
        dropSource: 'observed',
        tiedBy: 'client-time',
      }),
    ]);
  });

  it('offered but never used: no SYN anywhere and the counters show no drop', () => {
    const h = harness();
    h.control('1', 41000, T0, 'ftp');
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    h.vsftpd(
      T0 + 1000,
      101,
      `[ftp] FTP response: Client "${C}", "227 Entering Passive Mode (198,19,250,1,156,106)."`,
    );
    h.expect(41000, 40042, T0 + 1000);
    h.close('1', 41000, T0 + 5000);
    h.counters(T0 + 5500, []);
    h.tracker.tick(T0 + 5600);
    expect(h.attempts()).toEqual([
      expect.objectContaining({
        address: '198.19.250.1',
        port: 40042,
        outcome: 'unused',
        expectationId: expect.any(String),
      }),
    ]);
  });

  it('refused (answered with a reset) and timed out (active: the client never answers)', () => {
    const h = harness();
    h.control('1', 41000, T0);
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    h.vsftpd(
      T0 + 1000,
      101,
      `[ftp] FTP response: Client "${C}", "227 Entering Passive Mode (198,18,250,1,156,106)."`,
    );
    h.ct({ id: '2', at: T0 + 1100, sport: 50000, dport: 40042 });
    h.ct({
      id: '2',
      at: T0 + 1101,
      sport: 50000,
      dport: 40042,
      event: 'UPDATE',
      state: 'CLOSE',
      unreplied: false,
    });
    h.counters(T0 + 1500, []);
    h.tracker.tick(T0 + 1600);
    expect(h.attempts()[0]).toMatchObject({ outcome: 'refused', tiedBy: 'port' });

    h.vsftpd(T0 + 2000, 101, `[ftp] FTP command: Client "${C}", "PORT 198,18,250,2,195,80"`);
    expect(h.attempts()[1]).toMatchObject({ mode: 'active', command: 'PORT', address: C, port: 50000 });
    h.ct({
      id: '3',
      at: T0 + 2100,
      sport: 20,
      dport: 50000,
      orig: { src: S, dst: C, sport: 20, dport: 50000 },
      reply: { src: C, dst: S, sport: 50000, dport: 20 },
    });
    h.close('1', 41000, T0 + 6000);
    h.counters(T0 + 6500, []);
    h.tracker.tick(T0 + 6600);
    expect(h.attempts()[1]).toMatchObject({
      outcome: 'timed-out',
      dataConnectionId: expect.any(String),
      tiedBy: 'port',
    });
    expect(h.session().mode).toBe('active');
  });

  it('two sessions of one client without a helper: a data connection goes to the session that offered its port', () => {
    const h = harness();
    h.control('1', 41000, T0);
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    h.control('2', 41001, T0 + 1000);
    h.vsftpd(T0 + 1000, 200, `CONNECT: Client "${C}"`);
    h.vsftpd(
      T0 + 2000,
      101,
      `[ftp] FTP response: Client "${C}", "227 Entering Passive Mode (198,18,250,1,156,106)."`,
    );
    h.vsftpd(
      T0 + 2000,
      201,
      `[ftp] FTP response: Client "${C}", "227 Entering Passive Mode (198,18,250,1,156,107)."`,
    );
    // The heuristic alone would give both to the latest session.
    h.established('3', 50000, 40042, T0 + 2100);
    const data = h.events.filter((e) => e.kind === 'data').at(-1);
    const first = h.events.find((e) => e.kind === 'session') as { session: FtpSession };
    expect(data).toMatchObject({ data: { sessionId: first.session.id, attribution: 'port' } });
    expect(h.attempts(first.session.id)[0]?.outcome).toBe('ok');
  });

  it("an earlier session's settled offer of a port does not claim a later session's connection to it", () => {
    // Behind NAT before the fix: the helper expected 40042 on the inside address, the client never came.
    const h = harness();
    h.control('1', 41000, T0, 'ftp');
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    h.expect(41000, 40042, T0 + 1000);
    h.close('1', 41000, T0 + 5000);
    h.counters(T0 + 5500, []);
    h.tracker.tick(T0 + 5600);
    const first = h.events.find((e) => e.kind === 'session') as { session: FtpSession };
    expect(h.attempts(first.session.id)).toMatchObject([{ port: 40042, outcome: 'unused' }]);
    // After the fix a new session asks for PASV (a server that logs no reply port), and is given 40042 again.
    h.control('2', 41001, T0 + 10_000);
    h.vsftpd(T0 + 10_000, 200, `CONNECT: Client "${C}"`);
    h.vsftpd(T0 + 11_000, 201, `[ftp] FTP command: Client "${C}", "PASV"`);
    h.established('3', 50000, 40042, T0 + 11_100);
    const second = (
      h.events.find((e) => e.kind === 'session' && e.session.client.port === 41001) as { session: FtpSession }
    ).session;
    expect(h.events.filter((e) => e.kind === 'data').at(-1)).toMatchObject({
      data: { sessionId: second.id },
    });
    expect(h.attempts(second.id)).toMatchObject([{ command: 'PASV', port: 40042, outcome: 'ok' }]);
    expect(h.attempts(first.session.id)).toMatchObject([{ outcome: 'unused', dataConnectionId: null }]);
  });

  it("a session left closing (LAST_ACK, no end) does not claim a later session's connection through its expectation", () => {
    // As seen in the NAT lab (Pure-FTPd): after the client gave up and the server was restarted, the control
    // entry stayed in LAST_ACK, without an end, while the fixed client was given the same passive port.
    const h = harness();
    h.control('1', 41000, T0, 'ftp');
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    h.expect(41000, 40042, T0 + 1000);
    h.close('1', 41000, T0 + 1500, 'LAST_ACK');
    h.control('2', 41001, T0 + 2000);
    h.vsftpd(T0 + 2000, 200, `CONNECT: Client "${C}"`);
    h.vsftpd(T0 + 2000, 201, `[ftp] FTP command: Client "${C}", "PASV"`);
    // The kernel makes the new connection RELATED through the first session's expectation and names it master.
    h.ct({
      id: '3',
      at: T0 + 2010,
      sport: 50000,
      dport: 40042,
      master: { src: C, dst: S, sport: 41000, dport: 21 },
    });
    const [first, second] = [41000, 41001].map(h.sessionFrom);
    expect(h.events.filter((e) => e.kind === 'data').at(-1)).toMatchObject({
      data: { sessionId: second?.id, attribution: 'heuristic' },
    });
    expect(h.attempts(second?.id)).toMatchObject([{ command: 'PASV', port: 40042, outcome: 'pending' }]);
    expect(h.attempts(first?.id).some((a) => a.dataConnectionId !== null)).toBe(false);
  });

  it("without a helper too: a port an earlier session's log offered goes to the later session that asked", () => {
    const h = harness();
    h.control('1', 41000, T0);
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    h.offer(T0 + 1000, 101, '198,19,250,1');
    h.close('1', 41000, T0 + 5000);
    h.counters(T0 + 5500, []);
    h.tracker.tick(T0 + 5600);
    h.control('2', 41001, T0 + 10_000);
    h.vsftpd(T0 + 10_000, 200, `CONNECT: Client "${C}"`);
    h.vsftpd(T0 + 11_000, 201, `[ftp] FTP command: Client "${C}", "PASV"`);
    h.established('3', 50000, 40042, T0 + 11_100);
    const [first, second] = [41000, 41001].map(h.sessionFrom);
    expect(h.events.filter((e) => e.kind === 'data').at(-1)).toMatchObject({
      data: { sessionId: second?.id },
    });
    expect(h.attempts(second?.id)).toMatchObject([{ port: 40042, outcome: 'ok' }]);
    expect(h.attempts(first?.id)).toMatchObject([{ port: 40042, outcome: 'unused' }]);
  });

  it('says unknown when rule counters cannot be read, and keeps at most 50 attempts', () => {
    const h = harness();
    h.control('1', 41000, T0);
    h.vsftpd(T0, 100, `CONNECT: Client "${C}"`);
    for (let i = 0; i < 60; i++)
      h.vsftpd(
        T0 + 1000,
        101,
        `[ftp] FTP response: Client "${C}", "227 Entering Passive Mode (198,18,250,1,156,${i})."`,
      );
    h.close('1', 41000, T0 + 5000);
    h.tracker.tick(T0 + 20_000);
    const list = h.attempts();
    expect(list.length).toBe(50);
    expect(
      list.every((a) => a.outcome === 'unknown' && /rule counters are not readable/.test(a.reason ?? '')),
    ).toBe(true);
  });
});
