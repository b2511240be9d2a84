import type { CollectorEvent, DataConnection, Expectation, FtpSession } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import { type ConntrackRecord, parseConntrack } from '../sources/conntrack-parse.ts';
import { type ExpectRecord, parseExpect } from '../sources/expect-parse.ts';
import { controlSessionId, SessionModel } from './sessions.ts';

/** expDelayMs: expectation lines arrive this much after their kernel time (two pipes, no order between them). */
function replay(
  ctFile: string,
  expFile: string | null,
  host = 'h1',
  expDelayMs = 0,
  range: [number, number] = [40000, 40100],
) {
  const events: CollectorEvent[] = [];
  const model = new SessionModel({
    host,
    ftpPorts: [21],
    passiveRange: () => range,
    emit: (e) => events.push(e),
  });
  const ct = parseConntrack(fixture(ctFile)).records.map((r) => ({ at: r.at as number, ct: r }));
  const ex = expFile
    ? parseExpect(fixture(expFile)).records.map((r) => ({ at: (r.at as number) + expDelayMs, ex: r }))
    : [];
  // Merge the two recorded streams by kernel timestamp, expectations first on ties, as the kernel made them.
  const all = [...ex, ...ct].sort((a, b) => a.at - b.at);
  for (const x of all) {
    if ('ct' in x) model.applyConntrack(x.ct as ConntrackRecord, x.at);
    else model.applyExpect(x.ex as ExpectRecord, x.at - expDelayMs);
  }
  model.tick((all.at(-1)?.at ?? 0) + 10_000);
  const last = <T extends { id: string }>(pick: (e: CollectorEvent) => T | null) => {
    const m = new Map<string, T>();
    for (const e of events) {
      const v = pick(e);
      if (v) m.set(v.id, v);
    }
    return [...m.values()];
  };
  return {
    model,
    events,
    sessions: last<FtpSession>((e) => (e.kind === 'session' ? e.session : null)),
    expectations: last<Expectation>((e) => (e.kind === 'expectation' ? e.expectation : null)),
    data: last<DataConnection>((e) => (e.kind === 'data' ? e.data : null)),
  };
}

describe('SessionModel on recorded conntrack events', () => {
  it('healthy (helper): every data connection is tied to a fulfilled expectation of its session, IPv4 and IPv6', () => {
    const r = replay('conntrack/1.4.7/ct-events-healthy.txt', 'conntrack/1.4.7/ct-expect-events-healthy.txt');
    expect(r.sessions.length).toBeGreaterThanOrEqual(6);
    expect(r.sessions.every((s) => s.helper === 'ftp')).toBe(true);
    expect(r.sessions.some((s) => s.family === 'ipv6')).toBe(true);
    expect(r.data.length).toBeGreaterThanOrEqual(4);
    for (const d of r.data) {
      expect(d.attribution).toBe('expectation');
      expect(d.related).toBe(true);
      const exp = r.expectations.find((e) => e.id === d.expectationId);
      expect(exp?.fulfilledAt).not.toBeNull();
      expect(exp?.sessionId).toBe(d.sessionId);
    }
    const active = r.data.filter((d) => d.mode === 'active');
    expect(active.length).toBeGreaterThan(0);
    expect(active.every((d) => d.serverPort === 20)).toBe(true);
    expect(r.data.some((d) => d.mode === 'passive' && d.serverPort >= 40000)).toBe(true);
    const modes = new Set(r.sessions.map((s) => s.mode));
    expect(modes).toEqual(new Set(['passive', 'active', 'unknown']));
  });

  it('no helper: data connections are attributed heuristically, sessions have no helper and no expectation', () => {
    const r = replay('conntrack/1.4.7/ct-events-nohelper.txt', null);
    expect(r.sessions.length).toBe(3);
    expect(r.sessions.every((s) => s.helper === null)).toBe(true);
    expect(r.expectations).toEqual([]);
    expect(r.data).toHaveLength(1);
    expect(r.data[0]).toMatchObject({
      attribution: 'heuristic',
      related: false,
      mode: 'active',
      serverPort: 20,
      established: true,
    });
  });

  it("marks only a session's first event as first (the live view's urgent one)", () => {
    const firsts: string[] = [];
    const later: string[] = [];
    const model = new SessionModel({
      host: 'h1',
      ftpPorts: [21],
      passiveRange: () => [40000, 40100],
      emit: (e, _st, first) => {
        if (e.kind === 'session') (first ? firsts : later).push(e.session.id);
        else expect(first).toBeFalsy();
      },
    });
    for (const r of parseConntrack(fixture('conntrack/1.4.7/ct-events-healthy.txt')).records)
      model.applyConntrack(r, r.at as number);
    expect(firsts.length).toBeGreaterThan(1);
    expect(new Set(firsts).size).toBe(firsts.length);
    expect(later.length).toBeGreaterThan(firsts.length);
    expect(later.every((id) => firsts.includes(id))).toBe(true);
  });

  it('ids are stable for the same host, conntrack id and tuple, and differ across hosts', () => {
    const a = replay('conntrack/1.4.7/ct-events-nft.txt', null, 'h1');
    const b = replay('conntrack/1.4.7/ct-events-nft.txt', null, 'h1');
    const c = replay('conntrack/1.4.7/ct-events-nft.txt', null, 'h2');
    expect(a.sessions.map((s) => s.id)).toEqual(b.sessions.map((s) => s.id));
    expect(a.sessions.map((s) => s.id)).not.toEqual(c.sessions.map((s) => s.id));
  });

  it('resync merges a listing and ends sessions the kernel no longer has', () => {
    const events: CollectorEvent[] = [];
    const model = new SessionModel({
      host: 'h',
      ftpPorts: [21],
      passiveRange: () => null,
      emit: (e) => events.push(e),
    });
    const listing = parseConntrack(fixture('conntrack/1.4.7/list-dport21-id.txt')).records;
    model.beginResync(1000);
    expect(
      model.finishResync(listing, parseExpect(fixture('conntrack/1.4.7/list-expect.txt')).records, 1000),
    ).toHaveLength(listing.length);
    model.beginResync(2000);
    const active = model.finishResync(listing.slice(1), [], 2000);
    expect(active).toHaveLength(listing.length - 1);
    const ended = events.filter((e) => e.kind === 'session' && e.session.state === 'CLOSED');
    expect(ended).toHaveLength(1);
    const exp = events.find((e) => e.kind === 'expectation');
    expect(exp?.kind === 'expectation' && exp.expectation.sessionId).toBeTruthy();
    model.tick(10_000);
    const expired = events.filter((e) => e.kind === 'expectation' && e.expectation.expiredAt !== null);
    expect(expired).toHaveLength(1);
  });
});

describe('SessionModel under a recorded load (4 lftp sessions listing in a loop)', () => {
  it('ties every data connection to a fulfilled expectation of its session, with a bounded memory of open state', () => {
    const r = replay('conntrack/1.4.7/ct-events-load.txt', 'conntrack/1.4.7/ct-expect-events-load.txt');
    expect(r.sessions).toHaveLength(4);
    expect(r.data.length).toBeGreaterThan(200);
    const sessionIds = new Set(r.sessions.map((s) => s.id));
    const fulfilled = new Map(r.expectations.filter((e) => e.fulfilledAt !== null).map((e) => [e.id, e]));
    for (const d of r.data) {
      expect(d).toMatchObject({ attribution: 'expectation', mode: 'passive', established: true });
      expect(sessionIds.has(d.sessionId as string)).toBe(true);
      expect(fulfilled.get(d.expectationId as string)?.sessionId).toBe(d.sessionId);
    }
    // One expectation per data connection: repeated PASV ports of one session get distinct ids.
    expect(new Set(r.data.map((d) => d.expectationId)).size).toBe(r.data.length);
    expect(r.sessions.every((s) => s.mode === 'passive')).toBe(true);
  });
});

describe('SessionModel when expectation events arrive after the data connection they announce', () => {
  it('the late expectation re-ties a heuristically attributed data connection to its own session', () => {
    // 4 concurrent sessions from one client: the heuristic (latest session of the pair) often guesses wrong.
    const r = replay(
      'conntrack/1.4.7/ct-events-load.txt',
      'conntrack/1.4.7/ct-expect-events-load.txt',
      'h1',
      50,
      [40000, 40999],
    );
    const sessions = new Map(r.sessions.map((s) => [s.id, s]));
    const exps = new Map(r.expectations.map((e) => [e.id, e]));
    expect(r.data.length).toBeGreaterThan(200);
    for (const d of r.data) {
      expect(d).toMatchObject({ attribution: 'expectation', related: true, mode: 'passive' });
      const exp = exps.get(d.expectationId as string);
      expect(exp?.sessionId).toBeTruthy();
      expect(d.sessionId).toBe(exp?.sessionId);
    }
    expect([...sessions.values()].every((s) => s.mode === 'passive')).toBe(true);
  });
});

describe('SessionModel when a control session started while the collector was not listening', () => {
  const recorded = parseConntrack(fixture('conntrack/1.4.7/ct-events-healthy.txt')).records;
  // The collector (re)started after every line but the control connection's DESTROY (id 1175762455, port 37014).
  const destroy = recorded.find((r) => r.event === 'DESTROY' && r.orig.dport === 21) as ConntrackRecord;
  const model = (events: CollectorEvent[]) =>
    new SessionModel({ host: 'h1', ftpPorts: [21], passiveRange: () => null, emit: (e) => events.push(e) });
  const sessionEvents = (events: CollectorEvent[]) =>
    events.flatMap((e) => (e.kind === 'session' && e.session.client.port === 37014 ? [e.session] : []));

  it('records it from its DESTROY alone: stable id, CLOSED, start and end at the event, emitted once', () => {
    const events: CollectorEvent[] = [];
    const m = model(events);
    m.applyConntrack(destroy, destroy.at as number);
    m.applyConntrack(destroy, (destroy.at as number) + 5); // the same line again changes nothing
    m.tick((destroy.at as number) + 1000);
    const sent = sessionEvents(events);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      id: controlSessionId('h1', '1175762455', 'ipv4', destroy.orig),
      state: 'CLOSED',
      helper: null,
      server: { ip: '198.18.250.1', port: 21 },
      startedAt: destroy.at,
      endedAt: destroy.at,
    });
    expect(m.activeSessionIds()).toEqual([]);
  });

  it('is not emitted again when a listing taken during the resync still shows the connection', () => {
    const events: CollectorEvent[] = [];
    const m = model(events);
    // The last state the kernel had before the DESTROY, as a listing taken just before it would show it.
    const last = recorded
      .filter((r) => r.id === destroy.id && r.event === 'UPDATE')
      .at(-1) as ConntrackRecord;
    const at = destroy.at as number;
    m.beginResync(at - 100);
    m.applyConntrack(destroy, at);
    expect(m.finishResync([{ ...last, event: null, at: null }], [], at + 100)).toEqual([]);
    const sent = sessionEvents(events);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.state).toBe('CLOSED');
  });
});

describe('SessionModel forgetting what ended', () => {
  it('forgets a destroyed session and data connection after a minute, and nothing that is still open', () => {
    const model = new SessionModel({ host: 'h1', ftpPorts: [21], passiveRange: () => null, emit: () => {} });
    const ct = parseConntrack(fixture('conntrack/1.4.7/ct-events-healthy.txt')).records;
    const ex = parseExpect(fixture('conntrack/1.4.7/ct-expect-events-healthy.txt')).records;
    const all = [
      ...ex.map((e) => ({ at: e.at as number, e })),
      ...ct.map((c) => ({ at: c.at as number, c })),
    ];
    for (const x of all.sort((a, b) => a.at - b.at))
      'c' in x ? model.applyConntrack(x.c, x.at) : model.applyExpect(x.e, x.at);
    // The recording destroys one control connection (client port 37014) and one data connection (56768).
    const destroyedAt = Math.max(...ct.filter((c) => c.event === 'DESTROY').map((c) => c.at as number));
    const held = () => {
      const snap = model.snapshot();
      return {
        sessions: snap.flatMap((e) =>
          e.kind === 'session' ? [`${e.session.client.port} ${e.session.state}`] : [],
        ),
        data: snap.flatMap((e) => (e.kind === 'data' ? [`${e.data.clientPort} ${e.data.state}`] : [])),
      };
    };
    const before = held();
    expect(before.sessions).toContain('37014 CLOSED');
    expect(before.data).toContain('56768 CLOSED');
    model.tick(destroyedAt + 59_000);
    expect(held()).toEqual(before);
    model.tick(destroyedAt + 61_000);
    const after = held();
    expect(after.sessions).toEqual(before.sessions.filter((s) => s !== '37014 CLOSED'));
    expect(after.data).toEqual(before.data.filter((d) => d !== '56768 CLOSED'));
    expect(after.sessions.length).toBeGreaterThan(0);
    expect([...model.sessionsOfClient('198.18.250.2')].some((s) => s.clientPort === 37014)).toBe(false);
  });
});
