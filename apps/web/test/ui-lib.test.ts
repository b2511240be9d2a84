import type { HostSummary, SessionView } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import { alignSeries } from '../src/ui/lib/align-series.ts';
import { ApiClient, ApiError } from '../src/ui/lib/api-client.ts';
import { AuthState } from '../src/ui/lib/auth.svelte.ts';
import { changeMarkers } from '../src/ui/lib/change-markers.ts';
import { channelsByLine, dialoguePort, tracesOfSession } from '../src/ui/lib/dialogue.ts';
import { troubleScore } from '../src/ui/lib/fleet-store.svelte.ts';
import { formatBytes, formatDuration } from '../src/ui/lib/format.ts';
import {
  chartRows,
  DROPS_ROW,
  dropsBand,
  focusRange,
  nearestSession,
  outcomeTally,
  rowCenter,
} from '../src/ui/lib/investigate-chart.ts';
import { href, links, parseHash } from '../src/ui/lib/routes.ts';
import { sessionLanes } from '../src/ui/lib/session-lanes.ts';
import { aroundTime, resolveRange, stepFor } from '../src/ui/lib/time-range.ts';
import { traceVerdict } from '../src/ui/lib/trace-ladder.ts';

describe('routes', () => {
  it('parses every view with its params and query, and round-trips links', () => {
    expect(parseHash('')).toMatchObject({ name: 'fleet' });
    expect(parseHash('#/hosts/ftp-1?client=198.18.0.1')).toEqual({
      name: 'host',
      params: { host: 'ftp-1' },
      query: { client: '198.18.0.1' },
    });
    expect(parseHash(links.session('a|b c'))).toMatchObject({ name: 'session', params: { id: 'a|b c' } });
    expect(parseHash(links.drops({ host: 'h', range: '24h' }))).toMatchObject({
      name: 'drops',
      query: { host: 'h', range: '24h' },
    });
    expect(parseHash(links.trace('tr-1234-abcd'))).toMatchObject({
      name: 'trace',
      params: { id: 'tr-1234-abcd' },
    });
    expect(parseHash('#/nope')).toMatchObject({ name: 'not-found', params: { path: '/nope' } });
    expect(href('/investigate', { client: '', user: 'bob', at: undefined })).toBe('#/investigate?user=bob');
  });
});

describe('time ranges', () => {
  const now = Date.parse('2025-01-01T12:00:00Z');
  it('resolves presets, custom ranges, and falls back to 1 h', () => {
    expect(resolveRange({ range: '15m' }, now)).toEqual({ from: now - 900_000, to: now, preset: '15m' });
    expect(resolveRange({}, now).preset).toBe('1h');
    expect(resolveRange({ range: 'bogus' }, now).preset).toBe('1h');
    const custom = resolveRange(
      { range: 'custom', from: '2025-01-01T10:00:00Z', to: '2025-01-01T11:00:00Z' },
      now,
    );
    expect(custom).toEqual({ from: now - 7_200_000, to: now - 3_600_000, preset: 'custom' });
    // to before from is not a range
    expect(
      resolveRange({ range: 'custom', from: '2025-01-01T11:00:00Z', to: '2025-01-01T10:00:00Z' }, now).preset,
    ).toBe('1h');
  });
  it('picks ~300 buckets', () => {
    expect(stepFor({ from: 0, to: 900_000, preset: '15m' })).toBe(5);
    expect(stepFor({ from: 0, to: 7 * 86_400_000, preset: '7d' })).toBe(3600);
  });
  it('reads "around 15:00" as the most recent 15:00', () => {
    const local = new Date(2025, 0, 2, 16, 30).getTime();
    expect(aroundTime('15:00', local)).toBe(new Date(2025, 0, 2, 15, 0).getTime());
    expect(aroundTime('17:00', local)).toBe(new Date(2025, 0, 1, 17, 0).getTime());
    expect(aroundTime('25:00', local)).toBeNull();
    expect(aroundTime('noon', local)).toBeNull();
  });
});

describe('alignSeries', () => {
  it('puts series on one bucket grid and fills missing buckets with 0', () => {
    const from = Date.parse('2025-01-01T12:00:00Z');
    const cols = alignSeries(
      [
        [
          { t: '2025-01-01T12:00:00.000Z', packets: 3, bytes: 0 },
          { t: '2025-01-01T12:02:00.000Z', packets: 1, bytes: 0 },
        ],
        [{ t: '2025-01-01T12:01:30.000Z', packets: 7, bytes: 0 }],
      ],
      from,
      from + 180_000,
      60,
    );
    expect(cols[0]).toEqual([from / 1000, from / 1000 + 60, from / 1000 + 120]);
    expect(cols[1]).toEqual([3, 0, 1]);
    expect(cols[2]).toEqual([0, 7, 0]);
  });
});

describe('fleet order', () => {
  const host = (over: Partial<HostSummary>): HostSummary => ({
    name: 'h',
    connected: true,
    lastSeen: null,
    kernel: null,
    backends: [],
    activeSessions: 0,
    openExpectations: 0,
    dropsPerMinute: 0,
    dropsTrend: new Array(30).fill(0),
    activeDiagnoses: 0,
    ...over,
  });
  it('puts disconnected, diagnosed and dropping hosts first', () => {
    expect(troubleScore(host({ connected: false }), 0)).toBeGreaterThan(troubleScore(host({}), 2));
    expect(troubleScore(host({}), 1)).toBeGreaterThan(troubleScore(host({ dropsPerMinute: 50 }), 0));
    expect(troubleScore(host({ dropsPerMinute: 1 }), 0)).toBeGreaterThan(troubleScore(host({}), 0));
  });
});

describe('format', () => {
  it('formats bytes and durations', () => {
    expect(formatBytes(null)).toBe('–');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatDuration(59_000)).toBe('59s');
    expect(formatDuration(3_723_000)).toBe('1h 2m');
  });
});

describe('session lanes', () => {
  it('marks a data connection that never established and the drops from the client', () => {
    const s: SessionView = {
      id: 's',
      host: 'h',
      client: { ip: '198.18.0.10', port: 40000 },
      server: { ip: '198.18.1.2', port: 21 },
      state: 'ESTABLISHED',
      helper: null,
      user: null,
      mode: 'passive',
      tls: false,
      startedAt: '2025-01-01T12:00:00.000Z',
      endedAt: null,
      expectations: [],
      dataConnections: [
        {
          id: 'd',
          clientPort: 40001,
          serverPort: 30000,
          mode: 'passive',
          attribution: 'heuristic',
          established: false,
          startedAt: '2025-01-01T12:00:01.000Z',
          endedAt: '2025-01-01T12:00:30.000Z',
          bytes: null,
        },
      ],
    };
    const lanes = sessionLanes(
      s,
      [
        {
          id: 1,
          host: 'h',
          at: '2025-01-01T12:00:01.000Z',
          group: 5,
          ruleId: null,
          prefix: 'drop',
          proto: 'tcp',
          src: '198.18.0.10',
          dst: '198.18.1.2',
          sport: 40001,
          dport: 30000,
          flags: 'S',
        },
      ],
      Date.parse('2025-01-01T12:01:00Z'),
    );
    expect(lanes.map((l) => [l.kind, l.problem])).toEqual([
      ['control', true],
      ['data', true],
      ['drop', true],
    ]);
    expect(lanes[1]?.label).toContain('never established');
  });
});

describe('ApiClient', () => {
  it('sends same-origin credentials, drops empty query values, and flags 401 for a login', async () => {
    const auth = new AuthState();
    const calls: { url: string; init?: RequestInit }[] = [];
    const api = new ApiClient(auth, async (url, init) => {
      calls.push({ url, init });
      return new Response(
        JSON.stringify({ code: 'FTPSCOPE_ERR_UNAUTHORIZED', message: 'missing or wrong token' }),
        {
          status: 401,
        },
      );
    });
    const err = await api.drops({ host: 'h', client: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('FTPSCOPE_ERR_UNAUTHORIZED');
    expect(calls[0]?.url).toBe('/api/drops?host=h');
    expect(calls[0]?.init?.credentials).toBe('same-origin');
    expect(auth.required).toBe(true);
  });

  it('logs in with POST {token} and bumps the auth generation', async () => {
    const auth = new AuthState();
    auth.unauthorized();
    let body = '';
    const api = new ApiClient(auth, async (_url, init) => {
      body = String(init?.body);
      return new Response(null, { status: 204 });
    });
    await api.login('secret');
    expect(JSON.parse(body)).toEqual({ token: 'secret' });
    expect(auth.required).toBe(false);
    expect(auth.generation).toBe(1);
  });

  it('reports an unreachable hub as a network error', async () => {
    const api = new ApiClient(new AuthState(), async () => {
      throw new TypeError('fetch failed');
    });
    await expect(api.hosts()).rejects.toThrow(/cannot reach the hub/);
  });
});

describe('trace verdict', () => {
  const syn = (n: number, fate: 'answered' | 'dropped', explanation: string) => ({
    n,
    at: n,
    kind: 'syn' as const,
    mode: 'passive' as const,
    src: '198.18.1.100',
    sport: 50000 + n,
    dst: '198.18.1.11',
    dport: 40000 + n,
    attempts: 1,
    fate,
    fateAt: n + 1,
    rule: null,
    explanation,
  });
  it('names the first failing data connection, else says all got through, else what to do', () => {
    const base = { client: '198.18.1.100', tls: false, state: 'done' as const };
    expect(
      traceVerdict({
        ...base,
        steps: [syn(1, 'answered', 'ok'), syn(2, 'dropped', 'dropped by INPUT policy DROP')],
      }),
    ).toEqual({ bad: true, text: 'dropped by INPUT policy DROP' });
    expect(traceVerdict({ ...base, steps: [syn(1, 'answered', 'ok')] })).toEqual({
      bad: false,
      text: '1 data connection seen, all answered.',
    });
    expect(traceVerdict({ ...base, state: 'running', steps: [] }).text).toContain('start a transfer');
  });
});

describe('investigate chart geometry', () => {
  const chart = {
    lanes: ['ftp1', 'ftp2'],
    sessions: [
      { id: 'a', host: 'ftp1', at: '2026-11-30T15:00:00.000Z', outcome: 'ok' as const },
      { id: 'b', host: 'ftp1', at: '2026-11-30T15:00:10.000Z', outcome: 'failed' as const },
      { id: 'c', host: 'ftp2', at: '2026-11-30T15:00:09.000Z', outcome: 'ok' as const },
    ],
    changes: [],
    diagnoses: [],
    drops: [
      { at: '2026-11-30T15:00:00.000Z', packets: 2, first: null, last: null },
      {
        at: '2026-11-30T15:01:00.000Z',
        packets: 8,
        first: '2026-11-30T15:01:10.000Z',
        last: '2026-11-30T15:01:12.000Z',
      },
    ],
  };

  it('puts a lane per host on top and the drops band below, centred in the lane scale', () => {
    expect(chartRows(chart)).toEqual(['ftp1', 'ftp2', DROPS_ROW]);
    expect([0, 1, 2].map((i) => rowCenter(3, i))).toEqual([2.5, 1.5, 0.5]);
  });

  it('scales the drops band to the busiest minute, each cell from the first to the last drop seen in it', () => {
    expect(dropsBand(chart.drops).map((d) => d.strength)).toEqual([0.25, 1]);
    expect(dropsBand(chart.drops).map((d) => (d.to - d.from) / 1000)).toEqual([60, 2]);
    expect(dropsBand([])).toEqual([]);
  });

  it('finds the session clicked in a lane, within the tolerance only', () => {
    const t = Date.parse('2026-11-30T15:00:09.500Z');
    expect(nearestSession(chart.sessions, 'ftp1', t, 1000)?.id).toBe('b');
    expect(nearestSession(chart.sessions, 'ftp2', t, 1000)?.id).toBe('c');
    expect(nearestSession(chart.sessions, 'ftp1', t, 100)).toBeNull();
    expect(outcomeTally(chart.sessions)).toEqual({ ok: 2, failed: 1 });
  });
});

describe('investigate chart focus', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 10, 30, 15, 0, s)).toISOString();
  const from = Date.UTC(2026, 10, 30, 14, 30);
  const to = Date.UTC(2026, 10, 30, 15, 30);

  it('shows the span of the activity, padded by at least 5 s, inside the window', () => {
    const chart = {
      sessions: [{ id: 'a', host: 'h', at: at(10), outcome: 'ok' as const }],
      changes: [
        {
          id: 'rc-1',
          host: 'h',
          at: at(20),
          notBefore: null,
          added: [],
          removed: [],
          moved: [],
          policyChanges: [],
        },
      ],
    };
    expect(focusRange(chart, from, to)).toEqual({
      from: Date.parse(at(10)) - 5_000,
      to: Date.parse(at(20)) + 5_000,
    });
    expect(focusRange({ sessions: [], changes: [] }, from, to)).toEqual({ from, to });
    const edge = {
      sessions: [{ id: 'b', host: 'h', at: new Date(from + 1000).toISOString(), outcome: 'ok' as const }],
      changes: [],
    };
    expect(focusRange(edge, from, to).from).toBe(from);
  });
});

describe('dialogue data ports', () => {
  const reply = (text: string) => ({ dir: 'reply', text });
  const command = (text: string) => ({ dir: 'command', text });

  it('reads the port a line negotiates: 227 and 229 replies, PORT and EPRT commands', () => {
    expect(dialoguePort(reply('227 Entering Passive Mode (198,18,2,11,156,216).'))).toBe(156 * 256 + 216);
    expect(dialoguePort(reply('229 Entering Extended Passive Mode (|||40123|)'))).toBe(40123);
    expect(dialoguePort(command('PORT 198,18,2,100,200,10'))).toBe(200 * 256 + 10);
    expect(dialoguePort(command('EPRT |2|2001:2::100|50123|'))).toBe(50123);
    expect(dialoguePort(reply('200 PORT command successful'))).toBeNull();
    expect(dialoguePort(command('PASV'))).toBeNull();
  });

  it('ties each channel to the line that negotiated it, once, the latest line of a port first', () => {
    const lines = [
      reply('227 Entering Passive Mode (1,2,3,4,156,216).'),
      command('LIST'),
      reply('227 Entering Passive Mode (1,2,3,4,156,217).'),
      reply('227 Entering Passive Mode (1,2,3,4,156,216).'),
    ];
    const channels = [
      { id: 'a', port: 156 * 256 + 216 },
      { id: 'b', port: 156 * 256 + 217 },
    ];
    expect([...channelsByLine(lines, channels)].map(([i, c]) => [i, c.id])).toEqual([
      [3, 'a'],
      [2, 'b'],
    ]);
  });
});

describe('traces of a session', () => {
  const t = (id: string, client: string, startedAt: string, endedAt: string | null) => ({
    id,
    host: 'ftp1',
    client,
    startedAt,
    endedAt,
  });
  const session = {
    host: 'ftp1',
    client: { ip: '198.18.1.100' },
    startedAt: '2026-11-30T15:00:10.000Z',
    endedAt: '2026-11-30T15:00:20.000Z',
  };

  it('keeps the traces of its client on its host that ran while it was open, newest first', () => {
    const traces = [
      t('before', '198.18.1.100', '2026-11-30T14:58:00.000Z', '2026-11-30T14:59:00.000Z'),
      t('covers', '198.18.1.100', '2026-11-30T15:00:00.000Z', '2026-11-30T15:01:00.000Z'),
      t('other-client', '198.18.1.101', '2026-11-30T15:00:00.000Z', '2026-11-30T15:01:00.000Z'),
      t('running', '198.18.1.100', '2026-11-30T15:00:15.000Z', null),
      { ...t('other-host', '198.18.1.100', '2026-11-30T15:00:00.000Z', null), host: 'ftp2' },
    ];
    const now = Date.parse('2026-11-30T15:05:00.000Z');
    expect(tracesOfSession(traces, session, now).map((x) => x.id)).toEqual(['running', 'covers']);
    expect(tracesOfSession(traces, { ...session, endedAt: null }, now).map((x) => x.id)).toEqual([
      'running',
      'covers',
    ]);
  });
});

describe('change markers', () => {
  const at = (x: number) => x;
  it('gives changes a marker width apart a marker each, and drops those outside the plot', () => {
    const m = changeMarkers([300, 10, 100, -1, 1001, Number.NaN], at, 1000);
    expect(m).toEqual([
      { changes: [10], x: 10 },
      { changes: [100], x: 100 },
      { changes: [300], x: 300 },
    ]);
  });
  it('puts changes that would cover each other under one marker, placed at the first', () => {
    // a reload writing two rulesets within a second, then a third change 27 px on: still covered
    const m = changeMarkers([500, 501, 527, 528], at, 1000, 28);
    expect(m.map((k) => k.changes)).toEqual([[500, 501, 527], [528]]);
    expect(m.map((k) => k.x)).toEqual([500, 528]);
  });
});
