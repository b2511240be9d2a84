import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLab, type Lab } from '@ftpscope/lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../web/src/server/app.ts';
import { CollectorAuth } from '../../web/src/server/ingest/collector-auth.ts';
import { Child, COLLECTOR_MAIN, freePort, until, workDir } from '../../web/test/reliability-helpers.ts';
import { controlSessionId } from '../src/model/sessions.ts';
import { whenSubscribed } from '../src/sources/netlink-subscribed.ts';

/**
 * Faults survived on a real lab host: the real collector CLI (`main.ts`, one node process so kill -9 hits it),
 * real conntrack, real vsftpd/lftp traffic, and the real hub (buildApp on loopback) whose API is the judge.
 */
type FastifyInstance = Awaited<ReturnType<typeof buildApp>>;

const COLLECTOR_TOKEN = 'reliability-lab-collector';
const API_TOKEN = 'reliability-lab-api';
const LAB = `rl${process.pid.toString(36).slice(-5)}`;
let lab: Lab;
const { dir, cleanup } = workDir('rel-lab');
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeAll(async () => {
  lab = await createLab({ name: LAB, hosts: 1, profile: 'healthy' });
}, 120_000);
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await lab?.down();
  cleanup();
});

interface Hub {
  app: FastifyInstance;
  port: number;
  get<T>(path: string): Promise<T>;
}

async function startHub(name: string, port = 0): Promise<Hub> {
  const app = await buildApp({
    db: join(dir, `${name}.db`),
    apiToken: API_TOKEN,
    collectorAuth: CollectorAuth.single(COLLECTOR_TOKEN),
    retentionIntervalMs: 0,
    diagnosesIntervalMs: 0,
    uiDir: join(dir, 'no-ui'),
  });
  await app.listen({ host: '127.0.0.1', port });
  const addr = app.server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  cleanups.push(() => app.close());
  return {
    app,
    port: bound,
    async get<T>(path: string): Promise<T> {
      const res = await app.inject({ url: path, headers: { authorization: `Bearer ${API_TOKEN}` } });
      if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${res.body}`);
      return res.json() as T;
    },
  };
}

/** `pnpm collector` watching the lab host as `name`. */
function collector(name: string, port: number, extra: string[] = []): Child {
  const h = lab.host('ftp1');
  const c = new Child(
    COLLECTOR_MAIN,
    [
      '--hub',
      `ws://127.0.0.1:${port}`,
      '--netns',
      h.netns,
      '--name',
      name,
      '--vsftpd-conf',
      h.vsftpdConf,
      '--ftp-log',
      h.logFile,
      '--spool',
      join(dir, `spool-${name}`),
      '--log-level',
      'warn',
      ...extra,
    ],
    { FTPSCOPE_TOKEN: COLLECTOR_TOKEN },
  );
  cleanups.push(() => c.kill9());
  return c;
}

async function connected(hub: Hub, name: string): Promise<void> {
  await until(
    `collector ${name} to connect`,
    async () =>
      (await hub.get<{ name: string; connected: boolean }[]>('/api/hosts')).some(
        (h) => h.name === name && h.connected,
      ),
    30_000,
  );
}

interface SessionView {
  id: string;
  client: { ip: string; port: number };
  server: { ip: string; port: number };
  startedAt: string;
  endedAt: string | null;
}

/**
 * A passive session held open (logged in, one listing done) until the test creates `gate`, then one more
 * listing. The wait is capped at 60 s so a failed test leaves no client behind.
 */
function heldSession(gate: string): Promise<{ code: number }> {
  const ip = lab.host('ftp1').ip;
  const wait = `i=0; while [ ! -e ${gate} ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done`;
  return lab.exec('client', [
    'lftp',
    '-c',
    `set ftp:passive-mode on; set net:timeout 5; set net:max-retries 1; open -u anonymous,lab@ ${ip}; ls >/dev/null; !sh -c '${wait}'; ls >/dev/null`,
  ]);
}

/** Nonblocking connects to the FTP port from the client: thousands of conntrack FTP control entries at once. */
function ftpSynBurst(n: number): Promise<{ code: number }> {
  const ip = lab.host('ftp1').ip;
  return lab.exec('client', [
    'python3',
    '-c',
    `import socket\nfor i in range(${n}):\n s=socket.socket(); s.setblocking(False)\n try: s.connect(('${ip}', 21))\n except OSError: pass\n s.close()`,
  ]);
}

/**
 * The kernel's own record of the FTP control connections on `host`, taken beside the collector: a
 * `conntrack -L` of what is already there, then `conntrack -E` of everything new. `ids()` maps the session id
 * each connection must have (its conntrack id + original tuple, see controlSessionId) to the kernel's line.
 */
async function kernelControlConnections(host: string) {
  const h = lab.host(host);
  const tool = spawn(
    'nsenter',
    [`--net=/run/netns/${h.netns}`, '--', 'conntrack', '-E', '-p', 'tcp', '-o', 'id', '-b', String(32 << 20)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  tool.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  tool.stderr.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  cleanups.push(() => tool.kill());
  // Subscribed before the listing: nothing falls between the two.
  if (!(await whenSubscribed(() => (tool.pid === undefined ? [] : [tool.pid]), 10_000)))
    throw new Error('conntrack -E did not subscribe within 10 s');
  const listed = await lab.exec(host, ['conntrack', '-L', '-p', 'tcp', '--orig-port-dst', '21', '-o', 'id']);
  expect(listed.code, listed.stderr).toBe(0);
  return {
    /** Events lost by the recorder itself (then the record is incomplete). */
    lost: () => /ENOBUFS|No buffer space/.test(err),
    ids(name: string): Map<string, string> {
      const byId = new Map<string, string>();
      for (const line of `${listed.stdout}\n${out}`.split('\n')) {
        // The first tuple is the original direction.
        const m = /\bsrc=(\S+) dst=(\S+) sport=(\d+) dport=(\d+) .*\bid=(\d+)/.exec(line);
        if (m?.[4] !== '21') continue;
        const [src = '', dst = '', ct = ''] = [m[1], m[2], m[5]];
        const orig = { src, dst, sport: Number(m[3]), dport: 21 };
        byId.set(controlSessionId(name, ct, src.includes(':') ? 'ipv6' : 'ipv4', orig), line.trim());
      }
      return byId;
    },
  };
}

describe('collector faults on a lab host', () => {
  it('promise: collector kill -9 mid-traffic, restart: resync from kernel + spool, no session duplicated, none left open', async () => {
    const hub = await startHub('kill');
    const name = 'rk1';
    const kernel = await kernelControlConnections('ftp1');
    let c = collector(name, hub.port);
    await connected(hub, name);

    // Two held sessions: A spans the crash and the restart; B ends while the collector is dead and its
    // conntrack entry is then removed, so only the resync can tell the hub it ended.
    const active = () => hub.get<SessionView[]>(`/api/hosts/${name}/sessions?active=true`);
    const [gateA, gateB] = [join(dir, 'release-a'), join(dir, 'release-b')];
    const a = heldSession(gateA);
    const sA = await until('A in the hub', async () => (await active())[0], 10_000);
    const b = heldSession(gateB);
    const sB = await until('B in the hub', async () => (await active()).find((s) => s.id !== sA.id), 10_000);
    const load = lab.load('ftp1', { mode: 'passive', sessions: 2, seconds: 5 });
    // Mid-traffic: the load's sessions have reached the hub when the collector dies.
    await until('the load in the hub', async () => (await active()).length > 2, 10_000);
    await c.kill9();
    await writeFile(gateB, '');
    expect((await b).code).toBe(0);
    const del = await lab.exec('ftp1', [
      'conntrack',
      '-D',
      '-p',
      'tcp',
      '--orig-port-src',
      String(sB.client.port),
    ]);
    expect(del.code, del.stderr).toBe(0);
    c = collector(name, hub.port);
    await connected(hub, name);
    await writeFile(gateA, '');
    expect((await a).code).toBe(0);
    const { transfers } = await load;
    expect(transfers).toBeGreaterThan(0);

    const all = await until(
      'every session to be closed',
      async () => {
        const list = await hub.get<SessionView[]>(`/api/hosts/${name}/sessions?limit=10000`);
        return list.every((s) => s.endedAt !== null) ? list : null;
      },
      20_000,
    );
    // A and B kept the ids they had before the crash.
    const ids = all.map((s) => s.id);
    expect(ids).toContain(sA.id);
    expect(ids).toContain(sB.id);
    // No connection reported twice under two ids. A connection is what the kernel tracks: conntrack id +
    // original tuple. Not client port + start second: a client port is reused within seconds (a SYN on a
    // TIME_WAIT entry makes the kernel destroy it and create a new entry, new id), and a session first seen in
    // the restart's listing is stamped with the listing's time, so an old connection and its successor on the
    // same port can share a start second while being two kernel connections. Every stored id must be the
    // id of exactly one connection the kernel had; a second id for one connection could be no such id.
    expect(kernel.lost(), 'the test recorder lost conntrack events').toBe(false);
    const known = kernel.ids(name);
    const ghosts = all.filter((s) => !known.has(s.id));
    // Printed in full on failure, with what the kernel had on those client ports.
    const onPorts = (p: number) => [...known.values()].filter((l) => l.includes(` sport=${p} dport=21 `));
    expect(ghosts.map((s) => ({ ...s, kernel: onPorts(s.client.port) }))).toEqual([]);
    expect(all.length).toBeGreaterThan(2);
    expect(c.running, c.err).toBe(true);
  });

  it('promise: a full spool (tiny --spool-max-bytes) drops the oldest batches, the gap reaches /api/gaps, collection goes on', async () => {
    const port = await freePort();
    const name = 'rs1';
    // No hub yet: everything goes to a 1 MiB spool (the smallest cap the CLI accepts).
    const c = collector(name, port, ['--spool-max-bytes', '1M']);
    await until('the collector to be watching', () => c.err.includes('cannot reach the hub'), 30_000);
    for (let i = 0; i < 3; i++) expect((await ftpSynBurst(3000)).code).toBe(0);
    await until('the spool to overflow', () => c.err.includes('spool full'), 20_000);
    expect(c.running, c.err).toBe(true);

    const hub = await startHub('spool', port);
    await connected(hub, name);
    const gaps = await until(
      'the spool gap in the API',
      async () => {
        const list = await hub.get<
          { source: string; reason: string; fromSeq: number | null; toSeq: number | null }[]
        >(`/api/gaps?host=${name}`);
        // The first batches dropped were the oldest (seq 1 on): their gap is recorded even when the batch
        // carrying it was dropped in a later overflow.
        return list.some((g) => g.source === 'spool' && g.fromSeq === 1) ? list : null;
      },
      20_000,
    ).catch(async (err) => {
      console.log(c.err.slice(-3000), await hub.get('/api/gaps'), await hub.get('/api/hosts'));
      throw err;
    });
    const gap = gaps.find((g) => g.source === 'spool' && g.fromSeq === 1);
    expect(gap?.toSeq).toBeGreaterThanOrEqual(gap?.fromSeq ?? Number.POSITIVE_INFINITY);
    // Collection never stopped: a transfer now shows up as a session with its passive data connection. Found
    // by the data connection's time, not among the client's newest sessions: the bursts left thousands of
    // half-open entries that the resync lists (stamped with the listing's time, often after the transfer),
    // and the transfer's control connection may even reuse one of them (same tuple: the kernel keeps the
    // entry, its id and its start).
    const getAt = Date.now();
    expect((await lab.get('ftp1', 'small.txt', { mode: 'passive' })).ok).toBe(true);
    const found = await until(
      'the new transfer in the hub',
      async () => {
        const list = await hub.get<
          (SessionView & {
            expectations: { port: number; fulfilledAt: string | null }[];
            dataConnections: { mode: string; attribution: string; serverPort: number; startedAt: string }[];
          })[]
        >(`/api/hosts/${name}/sessions?client=${lab.client.ip}&limit=10000`);
        for (const s of list) {
          const d = s.dataConnections.find(
            (x) => x.mode === 'passive' && Date.parse(x.startedAt) >= getAt - 1000,
          );
          if (d) return { s, d };
        }
        return null;
      },
      10_000,
    );
    // Tied through the helper's expectation, it sits in the session that made the expectation.
    if (found.d.attribution === 'expectation')
      expect(found.s.expectations.some((e) => e.port === found.d.serverPort && e.fulfilledAt)).toBe(true);
    expect(c.running, c.err).toBe(true);
  });

  it('promise: conntrack event overflow (tiny --event-buffer, burst) is recorded as a gap visible in /api/gaps', async () => {
    const hub = await startHub('overflow');
    const name = 'ro1';
    const c = collector(name, hub.port, ['--event-buffer', '64k']);
    await connected(hub, name);
    // Loopback connections must be tracked for the burst to produce events (the profile accepts -i lo first).
    const rule = ['-t', 'raw', '-A', 'OUTPUT', '-o', 'lo', '-m', 'state', '--state', 'NEW'];
    expect((await lab.exec('ftp1', ['iptables', ...rule])).code).toBe(0);
    cleanups.push(() => lab.exec('ftp1', ['iptables', ...rule.map((x) => (x === '-A' ? '-D' : x))]));
    const burst = await lab.exec('ftp1', [
      'python3',
      '-c',
      // To port 21: the native reader keeps only FTP-related events, so a burst elsewhere would never reach it.
      "import socket\nfor i in range(3000):\n s=socket.socket(); s.setblocking(False)\n try: s.connect(('127.0.0.1', 21))\n except OSError: pass\n s.close()",
    ]);
    expect(burst.code).toBe(0);
    const gaps = await until(
      'the overflow gap in the API',
      async () => {
        const list = await hub.get<{ source: string; reason: string }[]>(`/api/gaps?host=${name}`);
        return list.some((g) => g.source === 'conntrack-events') ? list : null;
      },
      15_000,
    ).catch(async (err) => {
      console.log(c.err, await hub.get('/api/gaps'), await hub.get('/api/hosts'));
      throw err;
    });
    expect(gaps.find((g) => g.source === 'conntrack-events')?.reason).toMatch(/ENOBUFS.*resynchronised/);
    // The collector is still connected and streaming after the loss.
    const host = (await hub.get<{ name: string; connected: boolean }[]>('/api/hosts')).find(
      (h) => h.name === name,
    );
    expect(host?.connected).toBe(true);
    expect(c.running, c.err).toBe(true);
  });
});
