import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab } from '@ftpscope/lab';
import type { CollectorEvent, Gap } from '@ftpscope/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realExec, realSpawnLines, type SpawnLines } from '../src/exec.ts';
import { createHostMonitor } from '../src/host-monitor.ts';

const LAB = `co${process.pid.toString(36).slice(-5)}`;
/** These tests are about the `conntrack` tool's streams (the native reader's losses: ctreader-lab.test.ts). */
const TOOL = { path: null, reason: 'the tool under test' } as const;
let lab: Lab;

beforeAll(async () => {
  lab = await createLab({ name: LAB, hosts: 1, profile: 'healthy' });
}, 120_000);

afterAll(async () => {
  await lab?.down();
});

/** A burst of loopback connections inside the host namespace: thousands of conntrack events in a moment. */
const BURST = [
  'python3',
  '-c',
  "import socket\nfor i in range(3000):\n s=socket.socket(); s.setblocking(False)\n try: s.connect(('127.0.0.1', 9))\n except OSError: pass\n s.close()",
];

describe('conntrack event overflow (conntrack tool)', () => {
  it('is detected (ENOBUFS), recorded as a gap, and followed by a restart with a larger buffer and a resync', async () => {
    const h = lab.host('ftp1');
    const events: CollectorEvent[] = [];
    const monitor = createHostMonitor({
      name: 'ftp1',
      netns: h.netns,
      intervalMs: 1000,
      ftpPorts: [21],
      nflogGroups: [],
      vsftpdConf: h.vsftpdConf,
      ftpLog: h.logFile,
      eventBufferBytes: 4096,
      ctreader: TOOL,
      exec: realExec,
      now: Date.now,
    });
    try {
      await monitor.start((e) => events.push(e));
      const syncsBefore = events.filter((e) => e.kind === 'sync').length;
      // The burst needs the loopback conntrack to be tracked: the healthy profile accepts -i lo first, so add a state match.
      await lab.exec('ftp1', [
        'iptables',
        '-t',
        'raw',
        '-A',
        'OUTPUT',
        '-o',
        'lo',
        '-m',
        'state',
        '--state',
        'NEW',
      ]);
      await lab.exec('ftp1', BURST);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !events.some((e) => e.kind === 'gap'))
        await new Promise((r) => setTimeout(r, 100));
      const gap = events.find((e): e is Extract<CollectorEvent, { kind: 'gap' }> => e.kind === 'gap');
      expect(gap?.gap.source).toBe('conntrack-events');
      expect(gap?.gap.reason).toMatch(/ENOBUFS.*restarted with 8192 bytes/);
      while (Date.now() < deadline && events.filter((e) => e.kind === 'sync').length <= syncsBefore)
        await new Promise((r) => setTimeout(r, 100));
      expect(events.filter((e) => e.kind === 'sync').length).toBeGreaterThan(syncsBefore);
      // After the loss the monitor still sees FTP sessions.
      const from = events.length;
      expect((await lab.ls('ftp1', { mode: 'passive' })).ok).toBe(true);
      const deadline2 = Date.now() + 5000;
      while (Date.now() < deadline2 && !events.slice(from).some((e) => e.kind === 'data'))
        await new Promise((r) => setTimeout(r, 100));
      expect(events.slice(from).some((e) => e.kind === 'data' && e.data.mode === 'passive')).toBe(true);
    } finally {
      await monitor.stop();
    }
  });

  it('an ENOBUFS storm (150k entries loaded with conntrack -R) gives a bounded number of gaps, resyncs, restarts and log lines', {
    timeout: 90_000,
  }, async () => {
    const h = lab.host('ftp1');
    const dir = mkdtempSync(join(tmpdir(), 'ftpscope-storm-'));
    const file = join(dir, 'storm.txt');
    // Established TCP entries to the discard port: not FTP, but on the TCP event stream the collector reads.
    const lines: string[] = [];
    for (let i = 0; i < 150_000; i++)
      lines.push(
        `-I -p tcp -s 198.19.${200 + Math.floor(i / 60_000)}.1 -d ${h.ip} --sport ${1024 + (i % 60_000)} --dport 9 -t 900 --state ESTABLISHED -u ASSURED`,
      );
    writeFileSync(file, `${lines.join('\n')}\n`);
    const events: CollectorEvent[] = [];
    const logs: string[] = [];
    let streams = 0;
    const spawn: SpawnLines = (f, args, handlers) => {
      if (args.includes('-E')) streams++;
      return realSpawnLines(f, args, handlers);
    };
    const monitor = createHostMonitor({
      name: 'ftp1',
      netns: h.netns,
      intervalMs: 1000,
      ftpPorts: [21],
      nflogGroups: [],
      vsftpdConf: null,
      ftpLog: null,
      eventBufferBytes: 65536,
      ctreader: TOOL,
      exec: realExec,
      spawn,
      log: (_level, msg) => logs.push(msg),
      now: Date.now,
    });
    try {
      await monitor.start((e) => events.push(e));
      const from = events.length;
      const streamsBefore = streams;
      const t0 = Date.now();
      const r = await lab.exec('ftp1', ['conntrack', '-R', file]);
      expect(r.code, r.stderr).toBe(0);
      const stormMs = Date.now() - t0;
      // The last loss period ends 500 ms after the storm and its resync lists the table: wait until a sync
      // follows the last gap and no gap or sync came for 1.5 s (a condition, with a deadline for a slow machine).
      const lossEvents = () => events.filter((e) => e.kind === 'gap' || e.kind === 'sync').length;
      let seen = lossEvents();
      let quietSince = Date.now();
      const settled = () => {
        if (lossEvents() !== seen) {
          seen = lossEvents();
          quietSince = Date.now();
        }
        const tail = events.slice(from);
        const lastGap = tail.findLastIndex((e) => e.kind === 'gap');
        const lastSync = tail.findLastIndex((e) => e.kind === 'sync');
        return lastGap >= 0 && lastSync > lastGap && Date.now() - quietSince >= 1500;
      };
      const deadline = Date.now() + 30_000;
      while (!settled() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
      const after = events.slice(from);
      const gaps = after
        .filter((e): e is Extract<CollectorEvent, { kind: 'gap' }> => e.kind === 'gap')
        .map((e) => e.gap as Gap);
      const warnings = gaps.reduce((n, g) => n + Number(/(\d+) ENOBUFS warning/.exec(g.reason)?.[1] ?? 0), 0);
      const syncs = after.filter((e) => e.kind === 'sync').length;
      const lossLogs = logs.filter((l) => /lost|ENOBUFS/.test(l));
      console.log(
        `storm: ${stormMs} ms, ${warnings} ENOBUFS warnings, ${gaps.length} gaps, ${syncs} syncs, ${lossLogs.length} log lines, ${streams - streamsBefore} stream starts`,
      );
      expect(gaps.length).toBeGreaterThanOrEqual(1);
      // coalesced: far fewer gaps than warnings, at most one per 2 s of storm (+ the last one)
      expect(warnings).toBeGreaterThan(gaps.length);
      expect(gaps.length).toBeLessThanOrEqual(Math.ceil(stormMs / 2000) + 2);
      expect(syncs).toBeLessThanOrEqual(gaps.length);
      expect(syncs).toBeGreaterThanOrEqual(1);
      expect(lossLogs.length).toBe(gaps.length);
      // the buffer grows once per period (two streams restart together), never per warning
      expect(streams - streamsBefore).toBeLessThanOrEqual(2 * gaps.length);
    } finally {
      await monitor.stop();
      await lab.exec('ftp1', ['conntrack', '-F']);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports the effective poll interval: on an idle host a rule poll costs far under 2% of a core, so it stays at 1 s', async () => {
    const h = lab.host('ftp1');
    const events: CollectorEvent[] = [];
    const monitor = createHostMonitor({
      name: 'ftp1',
      netns: h.netns,
      intervalMs: 1000,
      ftpPorts: [21],
      nflogGroups: [],
      vsftpdConf: null,
      ftpLog: null,
      eventBufferBytes: 4 * 1024 * 1024,
      exec: realExec,
      now: Date.now,
    });
    const counters = () =>
      events.filter((e): e is Extract<CollectorEvent, { kind: 'counters' }> => e.kind === 'counters');
    try {
      await monitor.start((e) => events.push(e));
      // Five polls; a deadline a machine twice as slow (or with a busy core beside) still meets.
      const deadline = Date.now() + 20_000;
      while (counters().length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const list = counters();
      const intervals = list.map((c) => c.intervalMs);
      const spacing = list.slice(1).map((c, i) => c.at - (list[i] as { at: number }).at);
      console.log(
        `counters events: ${list.length}, reported intervals: ${intervals.join(',')}, spacing: ${spacing.join(',')}`,
      );
      expect(list.length).toBeGreaterThanOrEqual(5);
      expect(intervals.every((i) => i === 1000)).toBe(true);
      // The reported interval is the real one: polls come about a second apart (plus the poll's own run time).
      for (const d of spacing) {
        expect(d).toBeGreaterThanOrEqual(1000);
        expect(d).toBeLessThan(2000);
      }
    } finally {
      await monitor.stop();
    }
  });
});
