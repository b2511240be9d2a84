import { type ChildProcess, spawn } from 'node:child_process';
import { createLab, type Lab } from '@ftpscope/lab';
import type { CollectorEvent, Gap } from '@ftpscope/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LineStream, realExec, realSpawnLines, type SpawnLines, spawnWithNetns } from '../src/exec.ts';
import { createHostMonitor } from '../src/host-monitor.ts';
import { SessionModel } from '../src/model/sessions.ts';
import { ConntrackEvents } from '../src/sources/conntrack-events.ts';
import type { ConntrackRecord } from '../src/sources/conntrack-parse.ts';
import { passingDataUpdate } from '../src/sources/conntrack-reader.ts';
import { NativeConntrackEvents } from '../src/sources/ctreader-events.ts';
import { locateCtReader } from '../src/sources/ctreader-locate.ts';
import type { ExpectRecord } from '../src/sources/expect-parse.ts';
import { whenSubscribed } from '../src/sources/netlink-subscribed.ts';
import { latest } from './monitor-helpers.ts';

const LAB = `ct${process.pid.toString(36).slice(-5)}`;
/** Non-FTP connections made per test: enough that a leak through the filter could not hide. */
const HTTP_CONNECTIONS = 40;
let lab: Lab;
let http: ChildProcess | null = null;
let reader = '';

beforeAll(async () => {
  const choice = await locateCtReader(null);
  if (choice.path === null) throw new Error(`${choice.reason}: run scripts/setup.sh first`);
  reader = choice.path;
  lab = await createLab({ name: LAB, hosts: 1, profile: 'healthy' });
  const h = lab.host('ftp1');
  // Other traffic on the FTP host: an HTTP server on port 80, let through its firewall.
  expect(
    (await lab.exec('ftp1', ['iptables', '-I', 'INPUT', '-p', 'tcp', '--dport', '80', '-j', 'ACCEPT'])).code,
  ).toBe(0);
  http = spawn('ip', ['netns', 'exec', h.netns, 'python3', '-m', 'http.server', '80', '--bind', h.ip], {
    stdio: 'ignore',
  });
  await until('the HTTP server', async () => (await httpLoad(1)) === 1, 10_000);
}, 120_000);

afterAll(async () => {
  http?.kill();
  await lab?.down();
});

async function until<T>(what: string, f: () => T | Promise<T>, ms: number): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** n HTTP requests from the client namespace; resolves with how many succeeded. */
async function httpLoad(n: number): Promise<number> {
  const ip = lab.host('ftp1').ip;
  const r = await lab.exec('client', [
    'bash',
    '-c',
    `ok=0; for i in $(seq ${n}); do curl -s -m 2 -o /dev/null "http://${ip}/" && ok=$((ok+1)); done; echo $ok`,
  ]);
  return Number(r.stdout.trim());
}

/** Records everything a conntrack event source hands over. */
function recorder() {
  const out = {
    ct: [] as ConntrackRecord[],
    exp: [] as ExpectRecord[],
    gaps: [] as Gap[],
    problems: [] as string[],
  };
  const handlers = {
    onConntrack: (r: ConntrackRecord) => out.ct.push(r),
    onExpect: (r: ExpectRecord) => out.exp.push(r),
    onLoss: (g: Gap) => out.gaps.push(g),
    onProblem: (p: string) => out.problems.push(p),
    now: Date.now,
  };
  return { out, handlers };
}

const essence = (r: ConntrackRecord) => [
  r.event,
  r.id,
  r.state,
  r.orig,
  r.reply,
  r.helper,
  r.unreplied,
  r.assured,
];

describe('native conntrack reader on a lab host with FTP and other traffic', () => {
  it('yields the same FTP connections, states and ids as the conntrack tool, none of the others; data connections carry their master', async () => {
    const h = lab.host('ftp1');
    const spawnNs = spawnWithNetns(realSpawnLines, h.netns);
    const n = recorder();
    const t = recorder();
    const native = new NativeConntrackEvents({
      ...n.handlers,
      spawn: spawnNs,
      path: reader,
      ftpPorts: [21],
      passiveRange: () => h.passiveRange,
      bufferBytes: 4 << 20,
    });
    const tool = new ConntrackEvents({ ...t.handlers, spawn: spawnNs, bufferBytes: 4 << 20 });
    native.start();
    tool.start();
    try {
      await native.subscribed();
      expect(native.kernelFilter).toBe(true);
      // `conntrack -E` prints nothing once subscribed: read its netlink membership, as the collector's resync does
      // (a fixed 500 ms was not enough on a loaded fresh machine: the tool missed the first HTTP connection).
      expect(await whenSubscribed(() => tool.pids(), 10_000)).toBe(true);
      expect(await httpLoad(HTTP_CONNECTIONS)).toBe(HTTP_CONNECTIONS);
      expect((await lab.ls('ftp1', { mode: 'passive' })).ok).toBe(true);
      expect((await lab.ls('ftp1', { mode: 'active' })).ok).toBe(true);
      expect((await lab.get('ftp1', 'small.txt', { mode: 'passive' })).ok).toBe(true);
      expect(await httpLoad(HTTP_CONNECTIONS)).toBe(HTTP_CONNECTIONS);
      // Both have seen the last FTP connection close (its TIME_WAIT), in the same number of events.
      await until(
        'both streams to agree',
        () => {
          const ids = new Set(n.out.ct.map((r) => r.id));
          const fromTool = t.out.ct.filter((r) => ids.has(r.id) && !passingDataUpdate(r, [21]));
          const tw = n.out.ct.filter((r) => r.state === 'TIME_WAIT').length;
          const http = new Set(t.out.ct.filter((r) => r.orig.dport === 80).map((r) => r.id)).size;
          return (
            tw >= 6 &&
            fromTool.length === n.out.ct.length &&
            t.out.exp.length === n.out.exp.length &&
            http >= 2 * HTTP_CONNECTIONS
          );
        },
        10_000,
      );
      const ids = new Set(n.out.ct.map((r) => r.id));
      // Filtering: every HTTP connection reached the tool, none reached JavaScript through the reader.
      const httpIds = new Set(t.out.ct.filter((r) => r.orig.dport === 80).map((r) => r.id));
      expect(httpIds.size).toBe(2 * HTTP_CONNECTIONS);
      expect(n.out.ct.filter((r) => r.orig.dport === 80 || r.orig.sport === 80)).toEqual([]);
      expect(native.records).toBe(n.out.ct.length + n.out.exp.length);
      // Same connections, same events with the same states, in the same order, but for the data connections'
      // updates to states they only pass through (SYN_RECV, FIN_WAIT, ...), which the reader does not print.
      const ftpFromTool = t.out.ct.filter((r) => ids.has(r.id));
      const passing = ftpFromTool.filter((r) => passingDataUpdate(r, [21]));
      expect(passing.filter((r) => r.state === 'SYN_RECV')).toHaveLength(3);
      expect(passing.some((r) => r.state === 'FIN_WAIT')).toBe(true);
      expect(passing.every((r) => r.orig.dport !== 21)).toBe(true);
      expect(n.out.ct.map(essence)).toEqual(
        ftpFromTool.filter((r) => !passingDataUpdate(r, [21])).map(essence),
      );
      // The control connection's passing states are printed.
      expect(n.out.ct.some((r) => r.orig.dport === 21 && r.state === 'FIN_WAIT')).toBe(true);
      // Everything the tool saw that the reader did not is the HTTP traffic.
      expect(t.out.ct.filter((r) => !ids.has(r.id)).every((r) => httpIds.has(r.id))).toBe(true);
      const strip = (e: ExpectRecord) => ({ ...e, at: null });
      expect(n.out.exp.map(strip)).toEqual(t.out.exp.map(strip));
      // Data connections (2 passive, 1 active) name their control connection.
      const control = new Map(
        n.out.ct.filter((r) => r.orig.dport === 21).map((r) => [JSON.stringify(r.orig), r]),
      );
      const dataNew = n.out.ct.filter((r) => r.event === 'NEW' && r.orig.dport !== 21);
      expect(dataNew).toHaveLength(3);
      for (const d of dataNew) expect(control.has(JSON.stringify(d.master))).toBe(true);
      // Modelled from either source: the same sessions and data connections, tied the same way.
      const model = (recs: ConntrackRecord[], exps: ExpectRecord[]) => {
        const events: CollectorEvent[] = [];
        const m = new SessionModel({
          host: 'x',
          ftpPorts: [21],
          passiveRange: () => h.passiveRange,
          emit: (e) => events.push(e),
        });
        const all = [...exps.map((e) => ({ at: e.at ?? 0, e })), ...recs.map((c) => ({ at: c.at ?? 0, c }))];
        for (const x of all.sort((a, b) => a.at - b.at))
          'c' in x ? m.applyConntrack(x.c, x.at) : m.applyExpect(x.e, x.at);
        return {
          sessions: latest(events, 'session')
            .map((e) => [e.session.id, e.session.state, e.session.mode])
            .sort(),
          data: latest(events, 'data')
            .map((e) => [e.data.id, e.data.sessionId, e.data.mode, e.data.state])
            .sort(),
        };
      };
      const fromNative = model(n.out.ct, n.out.exp);
      expect(fromNative.data).toHaveLength(3);
      expect(fromNative).toEqual(model(ftpFromTool, t.out.exp));
      expect(n.out.gaps).toEqual([]);
      // The kernel did all the dropping: every conntrack event that reached the reader was printed, so neither
      // the HTTP connections nor the data connections' passing states were queued to it.
      process.kill(native.pid as number, 'SIGUSR1');
      const counts = await until("the reader's counts", () => native.counts, 10_000);
      expect(counts.printed).toBe(n.out.ct.length);
      expect(counts.parsed).toBe(counts.printed);
    } finally {
      native.stop();
      tool.stop();
    }
  });

  it('a reader killed or crashing is restarted, each time a gap and a resync; nothing is duplicated', async () => {
    const h = lab.host('ftp1');
    const readers: LineStream[] = [];
    const spawn: SpawnLines = (file, args, handlers) => {
      const s = realSpawnLines(file, args, handlers);
      if (file === 'nsenter' && args.includes(reader) && args.includes('events')) readers.push(s);
      return s;
    };
    const events: CollectorEvent[] = [];
    const monitor = createHostMonitor({
      name: 'ftp1',
      netns: h.netns,
      intervalMs: 1000,
      ftpPorts: [21],
      nflogGroups: [],
      vsftpdConf: h.vsftpdConf,
      ftpLog: null,
      eventBufferBytes: 4 << 20,
      ctreader: { path: reader, version: 'test' },
      exec: realExec,
      spawn,
      now: Date.now,
    });
    try {
      const info = await monitor.start((e) => events.push(e));
      expect(info.capabilities).toContain('conntrack-native');
      expect(readers).toHaveLength(1);
      for (const [i, signal] of (['SIGKILL', 'SIGSEGV'] as const).entries()) {
        const victim = readers.at(-1)?.pid as number;
        process.kill(victim, signal);
        // A transfer while no reader runs: only the resync after the restart can see it.
        expect((await lab.get('ftp1', 'small.txt', { mode: 'passive' })).ok).toBe(true);
        await until(`reader ${i + 2}`, () => readers.length === i + 2, 10_000);
        const gap = await until(
          `the gap of reader ${i + 1}`,
          () => events.filter((e) => e.kind === 'gap').length === i + 1,
          10_000,
        );
        expect(gap).toBe(true);
        await until('a resync', () => events.filter((e) => e.kind === 'sync').length >= i + 2, 10_000);
      }
      const gaps = events.flatMap((e) => (e.kind === 'gap' ? [e.gap] : []));
      expect(gaps.map((g) => g.source)).toEqual(['conntrack-events', 'conntrack-events']);
      expect(gaps[0]?.reason).toMatch(/native conntrack reader exited \(killed\).*resynchronised/);
      // And it still streams: a transfer now arrives as events, tied to its session by master.
      const from = events.length;
      expect((await lab.get('ftp1', 'small.txt', { mode: 'passive' })).ok).toBe(true);
      await until('the live transfer', () => events.slice(from).some((e) => e.kind === 'data'), 10_000);
      // Nothing duplicated: one session per kernel connection, one data connection per kernel connection.
      const sessions = latest(events, 'session').map((e) => e.session);
      const tuples = sessions.map((s) => `${s.client.port}`);
      expect(new Set(tuples).size).toBe(tuples.length);
      const data = latest(events, 'data').map((e) => e.data);
      expect(new Set(data.map((d) => d.clientPort)).size).toBe(data.length);
      // The three gets (two during the outages, recovered by the listing) each have their data connection.
      const gets = data.filter(
        (d) => d.mode === 'passive' && d.sessionId !== null && d.attribution === 'expectation',
      );
      expect(gets.length).toBeGreaterThanOrEqual(3);
    } finally {
      await monitor.stop();
    }
  });

  it('without the native reader the conntrack tool is used, and says so; sessions and data still arrive', async () => {
    const h = lab.host('ftp1');
    const choice = await locateCtReader('/nonexistent/ftpscope-ctreader');
    expect(choice.path).toBeNull();
    const events: CollectorEvent[] = [];
    const logs: string[] = [];
    const monitor = createHostMonitor({
      name: 'ftp1',
      netns: h.netns,
      intervalMs: 1000,
      ftpPorts: [21],
      nflogGroups: [],
      vsftpdConf: h.vsftpdConf,
      ftpLog: null,
      eventBufferBytes: 4 << 20,
      ctreader: choice,
      exec: realExec,
      log: (_l, m) => logs.push(m),
      now: Date.now,
    });
    try {
      const info = await monitor.start((e) => events.push(e));
      expect(info.capabilities).toContain('conntrack-tool');
      expect(info.capabilities).not.toContain('conntrack-native');
      expect(
        logs.some((l) => /conntrack tool: --ctreader \/nonexistent\/ftpscope-ctreader: no such/.test(l)),
      ).toBe(true);
      const from = events.length;
      expect((await lab.ls('ftp1', { mode: 'passive' })).ok).toBe(true);
      await until(
        'a passive data connection tied to its session',
        () =>
          events
            .slice(from)
            .some((e) => e.kind === 'data' && e.data.mode === 'passive' && e.data.sessionId !== null),
        10_000,
      );
    } finally {
      await monitor.stop();
    }
  });
});
