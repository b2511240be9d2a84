import type {
  FtpSession,
  HostHealthView,
  LiveEvents,
  NetfilterHealth,
  RuleView,
  SessionView,
} from '@ftpscope/shared';
import { describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../src/ui/lib/api-client.ts';
import { AuthState } from '../src/ui/lib/auth.svelte.ts';
import { FIRST_PAGE, HostLiveStore, LINGER_MS, SESSION_LIMIT } from '../src/ui/lib/host-live-store.svelte.ts';

const T0 = Date.parse('2025-01-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const restSession: SessionView = {
  id: 'a',
  host: 'ftp1',
  client: { ip: '198.18.0.10', port: 40001 },
  server: { ip: '198.18.1.2', port: 21 },
  state: 'ESTABLISHED',
  helper: 'ftp',
  user: 'bob',
  mode: 'passive',
  tls: false,
  startedAt: iso(T0),
  endedAt: null,
  expectations: [
    {
      id: 'e1',
      port: 30001,
      mode: 'passive',
      createdAt: iso(T0 + 100),
      timeout: 300,
      seenAt: iso(T0 + 100),
      fulfilledAt: iso(T0 + 150),
      expiredAt: null,
    },
    {
      id: 'e2',
      port: 30002,
      mode: 'passive',
      createdAt: iso(T0 + 200),
      // re-reported 5 s later with 7 s left: it lapses at T0 + 12 s, not 5 min after creation
      timeout: 7,
      seenAt: iso(T0 + 5000),
      fulfilledAt: null,
      expiredAt: null,
    },
  ],
  dataConnections: [
    {
      id: 'd1',
      clientPort: 40002,
      serverPort: 30001,
      mode: 'passive',
      attribution: 'expectation',
      established: true,
      startedAt: iso(T0 + 150),
      endedAt: iso(T0 + 400),
      bytes: 1000,
    },
  ],
};

const policy: RuleView = {
  id: 'ipv4/filter/INPUT/policy',
  backend: 'iptables-nft',
  family: 'ipv4',
  table: 'filter',
  chain: 'INPUT',
  position: 0,
  text: ':INPUT DROP',
  verdict: 'drop',
  isPolicy: true,
  packets: 10,
  bytes: 600,
  dropsLastMinute: 0,
};

const liveHealth = (at: number, conntrackCount: number): NetfilterHealth => ({
  at,
  conntrackCount,
  conntrackMax: 262144,
  expectCount: 0,
  expectMax: 1024,
  stats: { invalid: 2 },
  acct: true,
  timestamp: false,
  helperRules: [],
});

/** The store against a fetch that answers like the hub's REST API. */
function store(now: { t: number }, hostHealth: HostHealthView = { health: null, settings: null }) {
  const fetchFn = async (url: string) => {
    const path = url.split('?')[0];
    const body = path?.endsWith('/sessions')
      ? [restSession]
      : path?.endsWith('/rules')
        ? [policy]
        : path?.endsWith('/health')
          ? hostHealth
          : [];
    return new Response(JSON.stringify(body), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  };
  return new HostLiveStore('ftp1', new ApiClient(new AuthState(), fetchFn), () => now.t);
}

const session = (id: string, over: Partial<FtpSession> = {}): FtpSession => ({
  id,
  family: 'ipv4',
  client: { ip: '198.18.0.11', port: 41000 },
  server: { ip: '198.18.1.2', port: 21 },
  state: 'ESTABLISHED',
  helper: null,
  user: null,
  mode: 'unknown',
  tls: false,
  startedAt: T0 + 1000,
  endedAt: null,
  ...over,
});

const batch = (host: string, events: LiveEvents['events']): LiveEvents => ({ type: 'events', host, events });

describe('HostLiveStore', () => {
  it('loads the REST snapshot: sessions with their data sums, expectations, rules', async () => {
    const s = store({ t: T0 + 1000 });
    await s.load();
    expect(s.error).toBeNull();
    expect(s.sessions.get('a')).toMatchObject({
      clientIp: '198.18.0.10',
      user: 'bob',
      dataConns: 1,
      bytes: 1000,
    });
    expect(s.expectations.get('e1')).toMatchObject({ sessionId: 'a', port: 30001, fulfilledAt: T0 + 150 });
    expect(s.expectations.get('e2')).toMatchObject({ fulfilledAt: null, deadline: T0 + 12_000 });
    expect(s.rules.get(policy.id)?.packets).toBe(10);
  });

  it('shows the stored health sample at once instead of waiting up to a minute for the next live one', async () => {
    const stored = { ...liveHealth(T0 - 30_000, 42), at: iso(T0 - 30_000) };
    const s = store({ t: T0 }, { health: stored, settings: null });
    expect(s.health).toBeNull();
    await s.load();
    expect(s.health).toEqual(liveHealth(T0 - 30_000, 42));

    // a live sample newer than the snapshot is kept when the snapshot is loaded again (live reconnect)
    s.applyBatch([batch('ftp1', [{ kind: 'health', health: liveHealth(T0 - 1000, 50) }])]);
    await s.load();
    expect(s.health?.conntrackCount).toBe(50);
  });

  it('applies live sessions, data connections, counters and ignores other hosts', async () => {
    const now = { t: T0 + 2000 };
    const s = store(now);
    await s.load();
    s.applyBatch([
      batch('ftp1', [
        { kind: 'session', session: session('b') },
        {
          kind: 'data',
          data: {
            id: 'd2',
            sessionId: 'b',
            expectationId: null,
            attribution: 'heuristic',
            mode: 'passive',
            clientPort: 41001,
            serverPort: 30010,
            state: 'CLOSE',
            established: false,
            related: false,
            startedAt: T0 + 1500,
            endedAt: T0 + 1900,
            bytes: null,
          },
        },
        {
          kind: 'counters',
          at: T0 + 2000,
          intervalMs: 1000,
          counters: [{ ruleId: policy.id, packets: 15, bytes: 900, dPackets: 5, dBytes: 300 }],
        },
      ]),
      batch('ftp2', [{ kind: 'session', session: session('other') }]),
    ]);
    expect(s.sessions.get('b')).toMatchObject({ helper: null, dataConns: 1, failedData: 1, bytes: null });
    expect(s.sessions.has('other')).toBe(false);
    expect(s.rules.get(policy.id)).toMatchObject({ packets: 15, rate: 5, history: [5] });
    expect(s.pollIntervalMs).toBe(1000);

    // a later session update keeps the data sums
    s.applyBatch([batch('ftp1', [{ kind: 'session', session: session('b', { state: 'TIME_WAIT' }) }])]);
    expect(s.sessions.get('b')).toMatchObject({ state: 'TIME_WAIT', dataConns: 1, failedData: 1 });
  });

  it('ends sessions a sync does not list, and prunes them after the linger time', async () => {
    const now = { t: T0 + 5000 };
    const s = store(now);
    await s.load();
    s.applyBatch([batch('ftp1', [{ kind: 'sync', at: T0 + 5000, activeSessionIds: [] }])]);
    expect(s.sessions.get('a')).toMatchObject({ endedAt: T0 + 5000, state: 'CLOSED' });
    now.t = T0 + 5000 + LINGER_MS + 1;
    s.applyBatch([]);
    expect(s.sessions.has('a')).toBe(false);
  });

  it('keeps counters of rules that survive a ruleset change and adds new ones at zero', async () => {
    const s = store({ t: T0 });
    await s.load();
    s.applyBatch([
      batch('ftp1', [
        {
          kind: 'ruleset',
          at: T0 + 10,
          diff: {
            added: ['-A INPUT -p tcp --dport 21 -j ACCEPT'],
            removed: [],
            moved: [],
            policyChanges: [],
          },
          rules: [
            { ...policy, comment: null },
            {
              id: 'new',
              backend: 'iptables-nft',
              family: 'ipv4',
              table: 'filter',
              chain: 'INPUT',
              position: 1,
              text: '-A INPUT -p tcp --dport 21 -j ACCEPT',
              verdict: 'accept',
              isPolicy: false,
              comment: null,
            },
          ],
        },
      ]),
    ]);
    expect(s.rules.get(policy.id)?.packets).toBe(10);
    expect(s.rules.get('new')).toMatchObject({ packets: 0, verdict: 'accept' });
  });

  it('shows the first page of sessions at once, then replaces it with the whole list', async () => {
    const views = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ ...restSession, id: `s${i}`, startedAt: iso(T0 - i) }));
    const limits: number[] = [];
    let releaseRest = () => {};
    const rest = new Promise<void>((r) => {
      releaseRest = r;
    });
    const fetchFn = async (url: string) => {
      const u = new URL(url, 'http://hub');
      const limit = Number(u.searchParams.get('limit'));
      if (u.pathname.endsWith('/sessions')) limits.push(limit);
      if (u.pathname.endsWith('/sessions') && limit > FIRST_PAGE) await rest;
      const body = u.pathname.endsWith('/sessions') ? views(Math.min(limit, FIRST_PAGE + 50)) : [];
      return new Response(JSON.stringify(body), { status: 200 });
    };
    const s = new HostLiveStore('ftp1', new ApiClient(new AuthState(), fetchFn), () => T0);
    const loaded = s.load();
    await vi.waitFor(() => expect(s.sessions.size).toBe(FIRST_PAGE));
    expect(s.loading).toBe(false);
    expect(s.partial).toBe(true);
    releaseRest();
    await loaded;
    expect(limits).toEqual([FIRST_PAGE, SESSION_LIMIT]);
    expect(s.sessions.size).toBe(FIRST_PAGE + 50);
    expect(s.partial).toBe(false);
  });

  it('shows the first sessions without waiting for rules, gaps and health', async () => {
    let releaseDetails = () => {};
    const details = new Promise<void>((r) => {
      releaseDetails = r;
    });
    const fetchFn = async (url: string) => {
      const path = new URL(url, 'http://hub').pathname;
      if (path.endsWith('/sessions')) return new Response(JSON.stringify([restSession]), { status: 200 });
      await details;
      const body = path.endsWith('/rules')
        ? [policy]
        : path.endsWith('/health')
          ? { health: null, settings: null }
          : [];
      return new Response(JSON.stringify(body), { status: 200 });
    };
    const s = new HostLiveStore('ftp1', new ApiClient(new AuthState(), fetchFn), () => T0);
    const loaded = s.load();
    await vi.waitFor(() => expect(s.sessions.size).toBe(1));
    expect([s.loading, s.loadingDetails, s.rules.size]).toEqual([false, true, 0]);
    releaseDetails();
    await loaded;
    expect([s.loadingDetails, s.rules.size]).toEqual([false, 1]);
  });

  it('shows the API error instead of swallowing it', async () => {
    const failing = async () =>
      new Response(JSON.stringify({ code: 'FTPSCOPE_ERR_NOT_FOUND', message: 'no host ftp1' }), {
        status: 404,
      });
    const s = new HostLiveStore('ftp1', new ApiClient(new AuthState(), failing));
    await s.load();
    expect(s.error).toContain('no host ftp1');
    expect(s.loading).toBe(false);
  });
});
