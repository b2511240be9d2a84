import { type CollectorEvent, type Diagnosis, EVENT_SEMANTICS, type FtpSession } from '@ftpscope/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENT_PAIRS } from '../testing/event-pairs.ts';
import { batch, counters, data, expectation, hello, POLICY_ID, rules, session } from '../testing/events.ts';
import { ENGINES, freshStore, useEngine } from '../testing/store-engines.ts';
import type { Store } from './index.ts';

const DAY = 86_400_000;
const T = Date.parse('2026-03-01T15:00:00.000Z');

/** What a collector reports of a passive session while it watches it from the start. */
const watched: FtpSession = {
  id: 's-1',
  family: 'ipv4',
  client: { ip: '198.18.1.100', port: 42814 },
  server: { ip: '198.18.1.11', port: 21 },
  state: 'ESTABLISHED',
  helper: 'ftp',
  user: 'bob',
  mode: 'passive',
  tls: true,
  startedAt: 1000,
  endedAt: null,
};

const diagnosis = (id: string, firstSeen: number, resolvedAt: number | null): Diagnosis => ({
  id,
  kind: 'ftp-helper-not-assigned',
  host: 'ftp1',
  severity: 'critical',
  title: 't',
  explanation: 'e',
  evidence: [{ type: 'rule', id: POLICY_ID, label: 'INPUT policy DROP' }],
  fix: ['iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp'],
  firstSeen,
  lastSeen: resolvedAt ?? firstSeen,
  resolvedAt,
});

// Every engine behind the Store interface must behave the same: routes, ingest and diagnoses rely on it.
describe.each(ENGINES)('store contract (%s)', (engine) => {
  useEngine(engine);
  let store: Store;
  let close: () => Promise<void>;
  let now = T;
  beforeEach(async () => {
    now = T;
    ({ store, close } = await freshStore(engine, {
      now: () => now,
      retention: { rawDays: 7, rollupDays: 90, historyDays: 90 },
      pruneChunkRows: 5,
    }));
  });
  afterEach(async () => {
    await close();
  });

  it('stores a batch exactly once: a resend of a stored sequence writes nothing', async () => {
    await store.hosts.hello(hello('alpha'), T);
    const b = batch(1, [session('s1', T), expectation('x1', 's1', T + 5), data('d1', 's1', T + 9)], T);
    expect(await store.writeBatch('alpha', 'stream-0001', b, T)).toBe(true);
    expect(await store.writeBatch('alpha', 'stream-0001', b, T)).toBe(false);
    expect(await store.streams.lastSeq('alpha', 'stream-0001')).toBe(1);
    expect(await store.streams.lastSeq('alpha', 'other-stream')).toBe(0);
    expect(await store.count('sessions')).toBe(1);
    const s = await store.sessions.get('s1');
    expect(s).toMatchObject({ id: 's1', host: 'alpha', startedAt: T, endedAt: null });
    expect(s?.expectations).toEqual([expect.objectContaining({ id: 'x1', createdAt: T + 5, seenAt: T + 5 })]);
    expect(s?.dataConnections).toEqual([
      expect.objectContaining({ id: 'd1', established: true, bytes: 1_048_576 }),
    ]);
    expect((await store.hosts.get('alpha', T))?.lastSeen).toBe(T);
  });

  it('keeps each kind as EVENT_SEMANTICS says: objects replace, records append, the newest by time is current', async () => {
    await store.hosts.hello(hello('alpha'), T);
    const events = Object.values(EVENT_PAIRS).flat();
    expect(await store.writeBatch('alpha', 'stream-0001', batch(1, events, T), T + 60_000)).toBe(true);
    const appended = (kind: CollectorEvent['kind']) => (EVENT_SEMANTICS[kind].mode === 'append' ? 2 : 1);
    expect(await store.count('sessions')).toBe(appended('session'));
    expect(await store.count('expectations')).toBe(appended('expectation'));
    expect(await store.count('data_connections')).toBe(appended('data'));
    expect(await store.count('health_samples')).toBe(appended('health'));
    expect(await store.count('drops')).toBe(appended('drop'));
    expect(await store.count('gaps')).toBe(appended('gap'));
    expect(await store.count('ruleset_changes')).toBe(appended('ruleset'));
    const health = await store.events.hostHealth('alpha');
    const [newerHealth] = EVENT_PAIRS.health;
    expect(health.health).toEqual(newerHealth?.kind === 'health' && newerHealth.health);
    expect(health.settings).toMatchObject({ listenPort: 2121, updatedAt: T + 60_000 });
    expect(await store.events.latestHealth()).toEqual([{ host: 'alpha', health: health.health }]);
    // The newer ruleset (arrived first) has all four rules; the older one arriving later does not remove two.
    expect((await store.rules.list('alpha', T + 60_000)).map((r) => r.id)).toEqual(rules().map((r) => r.id));
  });

  it('a later report from a restarted collector closes a session without erasing what it cannot know', async () => {
    await store.hosts.hello(hello('ftp1'), T);
    await store.writeBatch('ftp1', 'st-1', batch(1, [{ kind: 'session', session: watched }]), T);
    // Seen again only at its DESTROY: no helper on the line, mode unknown, start = end = event time.
    const late: FtpSession = {
      ...watched,
      state: 'CLOSED',
      helper: null,
      user: null,
      mode: 'unknown',
      tls: false,
      startedAt: 9000,
      endedAt: 9000,
    };
    await store.writeBatch('ftp1', 'st-2', batch(1, [{ kind: 'session', session: late }]), T);
    const [s] = await store.sessions.list({ host: 'ftp1', limit: 10 });
    expect(s).toMatchObject({ state: 'CLOSED', helper: 'ftp', user: 'bob', mode: 'passive', tls: true });
    expect(s?.startedAt).toBe(1000);
    expect(s?.endedAt).toBe(9000);
    // A newer, informed report still wins.
    await store.writeBatch(
      'ftp1',
      'st-2',
      batch(2, [{ kind: 'session', session: { ...watched, mode: 'active', endedAt: 9500 } }]),
      T,
    );
    expect((await store.sessions.list({ host: 'ftp1', limit: 10 }))[0]).toMatchObject({ mode: 'active' });
    expect(await store.count('sessions')).toBe(1);
  });

  it('several reports of one object in one batch end as they would in separate batches', async () => {
    await store.hosts.hello(hello('ftp1'), T);
    const late: FtpSession = {
      ...watched,
      state: 'CLOSED',
      helper: null,
      user: null,
      mode: 'unknown',
      tls: false,
      startedAt: 9000,
      endedAt: 9000,
    };
    await store.writeBatch(
      'ftp1',
      'st-1',
      batch(1, [
        { kind: 'session', session: { ...watched, mode: 'unknown', tls: false, startedAt: 3000 } },
        { kind: 'session', session: watched },
        { kind: 'session', session: late },
        expectation('x1', 's-1', 5000),
        expectation('x1', 's-1', 4000, { fulfilledAt: 6000 }),
        data('d1', 's-1', 7000, false),
        data('d1', 's-1', 6500),
      ]),
      T,
    );
    const s = await store.sessions.get('s-1');
    expect(s).toMatchObject({
      state: 'CLOSED',
      helper: 'ftp',
      user: 'bob',
      mode: 'passive',
      tls: true,
      startedAt: 1000,
      endedAt: 9000,
    });
    expect(s?.expectations).toEqual([
      expect.objectContaining({ id: 'x1', createdAt: 4000, fulfilledAt: 6000 }),
    ]);
    expect(s?.dataConnections).toEqual([
      expect.objectContaining({ id: 'd1', startedAt: 6500, established: true }),
    ]);
  });

  it('keeps data-channel attempts by id (older ones a later report omits stay), HOST, drop sources and the firewall manager', async () => {
    const attempt = (id: string, outcome: 'pending' | 'dropped' | 'ok', askedAt: number) => ({
      id,
      mode: 'passive' as const,
      command: 'PASV',
      address: '198.18.1.11',
      port: 40111,
      askedAt,
      outcome,
      settledAt: outcome === 'pending' ? null : askedAt + 3000,
      bytes: outcome === 'ok' ? 130 : null,
      bytesFrom: outcome === 'ok' ? ('conntrack' as const) : null,
      ruleId: outcome === 'dropped' ? 'r-policy' : null,
      dropSource: outcome === 'dropped' ? ('counters' as const) : null,
      tiedBy: outcome === 'dropped' ? ('time' as const) : ('port' as const),
      expectationId: null,
      dataConnectionId: null,
      reason: null,
    });
    await store.hosts.hello(hello('ftp1'), T);
    const at = (seq: number, s: FtpSession) =>
      store.writeBatch('ftp1', 'st', batch(seq, [{ kind: 'session', session: s }]), T);
    await at(1, { ...watched, requestedHost: '203.0.113.5', attempts: [attempt('a1', 'pending', 2000)] });
    await at(2, { ...watched, attempts: [attempt('a1', 'dropped', 2000), attempt('a2', 'ok', 5000)] });
    await at(3, { ...watched, attempts: [attempt('a2', 'ok', 5000)] });
    const s = await store.sessions.get('s-1');
    expect(s?.requestedHost).toBe('203.0.113.5');
    expect(s?.attempts).toEqual([
      expect.objectContaining({
        id: 'a1',
        outcome: 'dropped',
        ruleId: 'r-policy',
        dropSource: 'counters',
        settledAt: 5000,
      }),
      expect.objectContaining({ id: 'a2', outcome: 'ok', bytes: 130, bytesFrom: 'conntrack', askedAt: 5000 }),
    ]);
    expect(await store.count('data_channels')).toBe(2);
    const firewall = {
      at: T,
      manager: 'ufw' as const,
      evidence: ['/etc/ufw'],
      neighbours: [],
      firewalld: null,
      files: [],
      problems: [],
      observe: 'on' as const,
    };
    const traced = {
      at: T,
      group: 0,
      ruleId: null,
      prefix: null,
      proto: 'TCP',
      src: '198.18.0.100',
      dst: '198.18.1.1',
      sport: 1,
      dport: 2,
      flags: 'S',
      source: 'trace' as const,
      verdict: 'drop' as const,
    };
    await store.writeBatch(
      'ftp1',
      'st',
      batch(4, [
        { kind: 'firewall', firewall },
        { kind: 'drop', drop: traced },
      ]),
      T,
    );
    expect((await store.events.hostHealth('ftp1')).firewall).toEqual(firewall);
    expect((await store.hosts.get('ftp1', T))?.firewall).toEqual(firewall);
    expect(await store.events.drops({ from: T - 1, to: T + 1, limit: 10 })).toEqual([
      expect.objectContaining({ source: 'trace', verdict: 'drop' }),
    ]);
  });

  it("names each ruleset change by the collector's id (by its time when a collector sends none)", async () => {
    await store.hosts.hello(hello('alpha'), T);
    const diff = { added: ['-A INPUT -j DROP'], removed: [], moved: [], policyChanges: [] };
    const r = rules();
    await store.writeBatch(
      'alpha',
      'stream-0001',
      batch(1, [
        { kind: 'ruleset', at: T, rules: r, diff: null },
        { kind: 'ruleset', at: T + 10, rules: r, diff, changeId: 'rc-0123456789abcdef' },
        { kind: 'ruleset', at: T + 20, rules: r, diff },
      ]),
      T,
    );
    expect((await store.rules.changes('alpha', T - 1, T + 30)).map((c) => c.id)).toEqual([
      'rc-0123456789abcdef',
      String(T + 20),
    ]);
    expect(
      (await store.timeline({ host: 'alpha', from: T - 1, to: T + 30 })).changes.map((c) => c.id),
    ).toEqual(['rc-0123456789abcdef', String(T + 20)]);
  });

  it("keeps a trace with its steps and pcap, lists it without steps, knows the host's clients", async () => {
    await store.hosts.hello(hello('alpha'), T);
    await store.writeBatch('alpha', 'stream-0001', batch(1, [session('s1', T)]), T);
    expect(await store.traces.clientKnown('alpha', '198.18.0.100')).toBe(true);
    expect(await store.traces.clientKnown('alpha', '198.18.0.200')).toBe(false);
    const t = {
      id: 'tr-0001-abcd',
      host: 'alpha',
      client: '198.18.0.100',
      requestedBy: { auth: 'bearer' as const, ip: '127.0.0.1', userAgent: 'test' },
      startedAt: T,
      endedAt: null,
      durationMs: 60_000,
      endReason: null,
      error: null,
      packets: 0,
      pcapBytes: 0,
      tls: false,
      steps: [],
    };
    await store.traces.start(t);
    expect(await store.traces.get(t.id)).toEqual(t);
    const steps = [{ n: 0, at: T + 1, kind: 'command' as const, verb: 'PASS', text: 'PASS ****' }];
    const pcap = Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 0, 1, 2, 255]);
    const done = {
      ...t,
      endedAt: T + 5000,
      endReason: 'stopped' as const,
      packets: 9,
      pcapBytes: 8,
      tls: true,
      steps,
    };
    await store.traces.finish(done, pcap);
    expect(await store.traces.get(t.id)).toEqual(done);
    expect((await store.traces.pcap(t.id))?.equals(pcap)).toBe(true);
    expect(await store.traces.list('alpha', 10)).toEqual([{ ...done, steps: [] }]);
    expect(await store.traces.list('beta', 10)).toEqual([]);
    expect(await store.count('trace_pcaps')).toBe(1);
  });

  it('a sync closes the open sessions it does not list', async () => {
    await store.hosts.hello(hello('alpha'), T);
    await store.writeBatch(
      'alpha',
      'st',
      batch(1, [session('s1', T), session('s2', T), { kind: 'sync', at: T + 500, activeSessionIds: ['s2'] }]),
      T,
    );
    const open = await store.sessions.list({ host: 'alpha', active: true, limit: 10 });
    expect(open.map((s) => s.id)).toEqual(['s2']);
    expect(await store.sessions.get('s1')).toMatchObject({ state: 'CLOSED', endedAt: T + 500 });
    expect((await store.hosts.get('alpha', T + 600))?.activeSessions).toBe(1);
  });

  it('keeps a resolved diagnosis occurrence when the problem opens again, and updates the open one in place', async () => {
    await store.diagnoses.upsert(diagnosis('ftp1:ftp-helper-not-assigned@1000', 1000, null));
    await store.diagnoses.upsert(diagnosis('ftp1:ftp-helper-not-assigned@1000', 1000, 40_000));
    await store.diagnoses.upsert(diagnosis('ftp1:ftp-helper-not-assigned@90000', 90_000, null));
    expect((await store.diagnoses.list({})).map((v) => [v.id, v.resolvedAt !== null])).toEqual([
      ['ftp1:ftp-helper-not-assigned@90000', false],
      ['ftp1:ftp-helper-not-assigned@1000', true],
    ]);
    expect((await store.diagnoses.list({ active: false })).map((v) => v.id)).toEqual([
      'ftp1:ftp-helper-not-assigned@1000',
    ]);
    expect(await store.diagnoses.list({ hosts: ['ftp2'] })).toEqual([]);
    expect(await store.diagnoses.list({ hosts: ['ftp1'], active: true })).toEqual([
      diagnosis('ftp1:ftp-helper-not-assigned@90000', 90_000, null),
    ]);
  });

  it('answers rule series from raw samples up to 6 h and from minute rollups beyond', async () => {
    await store.hosts.hello(hello('alpha'), T);
    await store.writeBatch(
      'alpha',
      'st',
      batch(1, [
        { kind: 'ruleset', at: T, rules: rules(), diff: null },
        counters(T + 1000, 10, 2),
        counters(T + 2000, 13, 3),
        counters(T + 61_000, 14, 1),
      ]),
      T,
    );
    const raw = await store.rules.series('alpha', POLICY_ID, T, T + 120_000, 60_000);
    expect(raw).toEqual({
      tier: 'raw',
      buckets: [
        { t: T, packets: 5, bytes: 300 },
        { t: T + 60_000, packets: 1, bytes: 60 },
      ],
    });
    const rolled = await store.rules.series('alpha', POLICY_ID, T - 7 * 3_600_000, T + 120_000, 3_600_000);
    expect(rolled.tier).toBe('1m');
    expect(rolled.buckets.reduce((n, b) => n + b.packets, 0)).toBe(6);
    const policy = (await store.rules.list('alpha', T + 61_500)).find((r) => r.isPolicy);
    expect(policy).toMatchObject({ packets: 14, bytes: 840, dropsLastMinute: 4 });
    expect(await store.rules.exists('alpha', POLICY_ID)).toBe(true);
    expect(await store.rules.exists('alpha', 'nope')).toBe(false);
  });

  it('keeps the dialogue of a session apart, masked again, replaced by a report that has one, kept by one that has none', async () => {
    const line = (at: number, dir: 'command' | 'reply', text: string) => ({ at, dir, text });
    await store.hosts.hello(hello('alpha'), T);
    // A collector that did not mask: the hub masks on the way in.
    const careless = [
      line(T, 'reply', '220 ready'),
      line(T + 1, 'command', 'pass Hunter2'),
      line(T + 2, 'command', 'PASV'),
    ];
    const told = [
      ...careless,
      line(T + 3, 'reply', '227 Entering Passive Mode (1,2,3,4,156,216).'),
      line(T + 4, 'command', 'RETR a.txt'),
    ];
    // Two reports of one session in one batch: the later one's dialogue is stored.
    await store.writeBatch(
      'alpha',
      'stream-0001',
      batch(
        1,
        [session('s1', T, { dialogue: careless }), session('s1', T, { dialogue: told, dialogueOmitted: 4 })],
        T,
      ),
      T,
    );
    const d = await store.sessions.dialogue('alpha', 's1');
    expect(d?.omitted).toBe(4);
    expect(d?.lines.map((l) => l.text)).toEqual([
      '220 ready',
      'PASS ****',
      'PASV',
      '227 Entering Passive Mode (1,2,3,4,156,216).',
      'RETR a.txt',
    ]);
    expect(JSON.stringify(d)).not.toContain('Hunter2');
    // A report without dialogue (a restarted collector sees only the kernel entry) keeps it.
    await store.writeBatch(
      'alpha',
      'stream-0001',
      batch(2, [session('s1', T, { state: 'CLOSED', endedAt: T + 9 })], T),
      T,
    );
    expect((await store.sessions.dialogue('alpha', 's1'))?.lines).toHaveLength(5);
    // Lists and views of sessions never carry it; Investigate reads its transfer verbs.
    expect(JSON.stringify(await store.sessions.get('s1'))).not.toContain('RETR');
    const [inv] = await store.investigate.sessions({ host: 'alpha' }, T - 1, T + 10, 10);
    expect(inv?.verbs).toEqual(['RETR']);
    await store.writeBatch(
      'alpha',
      'stream-0001',
      batch(3, [session('s1', T, { dialogue: [line(T + 5, 'command', 'QUIT')] })], T),
      T,
    );
    expect(await store.sessions.dialogue('alpha', 's1')).toEqual({
      lines: [line(T + 5, 'command', 'QUIT')],
      omitted: 0,
    });
    expect(await store.sessions.dialogue('alpha', 'unknown')).toBeNull();
    expect(await store.count('session_dialogues')).toBe(1);
  });

  it('investigate: past the limit, the newest sessions of the window (what fails now), oldest first', async () => {
    await store.hosts.hello(hello('alpha'), T);
    const sessions = [0, 1, 2, 3].map((i) => session(`s${i}`, T + i * 1000));
    await store.writeBatch('alpha', 'stream-0001', batch(1, sessions, T), T);
    const got = await store.investigate.sessions({ host: 'alpha' }, T - 1, T + 10_000, 2);
    expect(got.map((x) => x.id)).toEqual(['s2', 's3']);
  });

  it('prunes each tier past its age, keeps the rest, and ingest goes on while it runs', async () => {
    const start = Date.parse('2026-01-01T00:00:00Z');
    now = start;
    await store.hosts.hello(hello('alpha'), now);
    let seq = 0;
    // 100 days of history, one batch every 12 hours: samples, rollups, closed sessions with children, drops.
    for (let t = start; t < start + 100 * DAY; t += DAY / 2) {
      const id = `s${seq}`;
      await store.writeBatch(
        'alpha',
        'stream-0001',
        batch(++seq, [
          ...(seq === 1 ? [{ kind: 'ruleset' as const, at: t, rules: rules(), diff: null }] : []),
          session(id, t, {
            endedAt: t + 60_000,
            state: 'CLOSED',
            dialogue: [{ at: t + 30, dir: 'command', text: 'LIST' }],
          }),
          expectation(`x${seq}`, id, t + 10),
          data(`d${seq}`, id, t + 20),
          counters(t, seq, 1),
          {
            kind: 'drop',
            drop: {
              at: t,
              group: 5,
              ruleId: null,
              prefix: null,
              proto: 'TCP',
              src: '198.18.0.100',
              dst: '198.18.1.1',
              sport: 1,
              dport: 2,
              flags: 'S',
            },
          },
        ]),
        t,
      );
    }
    now = start + 100 * DAY;
    expect(await store.count('rule_samples')).toBe(200);
    expect(await store.count('sessions')).toBe(200);

    const pruning = store.retention.pruneOnce();
    await store.writeBatch('alpha', 'stream-0001', batch(++seq, [session('live', now)]), now);
    await pruning;

    expect(await store.count('rule_samples')).toBe(14); // 7 days × 2 kept
    expect(await store.count('rule_rollup_1m')).toBe(180); // 10 of 100 days older than 90
    expect(await store.count('sessions')).toBe(180 + 1);
    expect(await store.count('drops')).toBe(180);
    expect(await store.count('expectations')).toBe(180);
    expect(await store.count('data_connections')).toBe(180);
    expect(await store.count('session_dialogues')).toBe(180);
    expect((await store.sessions.get('live'))?.endedAt).toBeNull();
    // Idempotent: nothing left to prune at the same time.
    expect(Object.values(await store.retention.pruneOnce()).reduce((a, b) => a + b, 0)).toBe(0);
  });
});
