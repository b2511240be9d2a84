import type { Gap } from '@ftpscope/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import type { LineStreamHandlers } from '../exec.ts';
import { ConntrackEvents } from './conntrack-events.ts';

/** What conntrack 1.4.7 printed on stderr when run as nobody (recorded), per stream. */
const STDERR = {
  events: fixture('conntrack/1.4.7/events-unprivileged-stderr.txt'),
  expect: fixture('conntrack/1.4.7/expect-events-unprivileged-stderr.txt'),
};

describe('ConntrackEvents without privileges', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports permission denied once and stops, instead of restarting and reporting lost events', async () => {
    const spawned: string[][] = [];
    const losses: Gap[] = [];
    const problems: string[] = [];
    const events = new ConntrackEvents({
      bufferBytes: 8 * 1024 * 1024,
      now: () => Date.now(),
      onConntrack: () => {},
      onExpect: () => {},
      onLoss: (g) => losses.push(g),
      onProblem: (m) => problems.push(m),
      spawn: (_file, args, h: LineStreamHandlers) => {
        spawned.push(args);
        // like the real process: stderr lines, then exit status 1 (the expectation stream may go first)
        const text = args.includes('expect') ? STDERR.expect : STDERR.events;
        setTimeout(
          () => {
            for (const line of text.trimEnd().split('\n')) h.onStderr(line);
            h.onExit(1, null);
          },
          args.includes('expect') ? 5 : 10,
        );
        return { stop: () => {} };
      },
    });
    events.start();
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(spawned).toHaveLength(2);
    expect(losses).toEqual([]);
    expect(problems).toEqual([
      'conntrack -E: permission denied; run the collector as root or with CAP_NET_ADMIN',
    ]);
  });
});

/** One ENOBUFS warning as conntrack 1.4.7 printed it on stderr (recorded): the WARNING line and its two hints. */
const ENOBUFS_WARNING = fixture('conntrack/1.4.7/events-enobufs-stderr.txt').split('\n').slice(1, 4);

/** A conntrack -E that keeps running and prints one ENOBUFS warning every `everyMs` until `until` (like the real tool in a storm). */
function stormSpawn(until: () => number, everyMs: number) {
  const spawned: string[][] = [];
  let warnings = 0;
  const spawn = (_file: string, args: string[], h: LineStreamHandlers) => {
    spawned.push(args);
    let stopped = false;
    if (!args.includes('expect')) {
      const t = setInterval(() => {
        if (stopped || Date.now() >= until()) return clearInterval(t);
        warnings++;
        for (const line of ENOBUFS_WARNING) h.onStderr(line);
      }, everyMs);
    }
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        // like the real process: a warning still in the pipe arrives after SIGTERM, then the exit
        setTimeout(() => {
          for (const line of ENOBUFS_WARNING) h.onStderr(line);
          h.onExit(null, null);
        }, 1);
      },
    };
  };
  return { spawn, spawned, warnings: () => warnings };
}

function events(spawn: ReturnType<typeof stormSpawn>['spawn'], bufferBytes: number) {
  const losses: Gap[] = [];
  const ev = new ConntrackEvents({
    bufferBytes,
    now: () => Date.now(),
    onConntrack: () => {},
    onExpect: () => {},
    onLoss: (g) => losses.push(g),
    onProblem: (m) => {
      throw new Error(m);
    },
    spawn,
  });
  return { ev, losses };
}

/** Sum of the ENOBUFS counts the gaps report. */
const reported = (losses: Gap[]) =>
  losses.reduce((n, g) => n + Number(/(\d+) ENOBUFS warning/.exec(g.reason)?.[1] ?? 0), 0);

describe('ConntrackEvents in an ENOBUFS storm', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('at the buffer cap: keeps the stream running and reports one gap per 2 s with every warning counted', async () => {
    const t0 = Date.now();
    const storm = stormSpawn(() => t0 + 10_000, 10);
    const { ev, losses } = events(storm.spawn, 256 * 1024 * 1024);
    ev.start();
    await vi.advanceTimersByTimeAsync(12_000);
    ev.stop();
    expect(storm.warnings()).toBeGreaterThan(900);
    // no restart: the two streams of start() only
    expect(storm.spawned).toHaveLength(2);
    // a 10 s storm: one gap every 2 s, then the last one 500 ms after the storm ends
    expect(losses.length).toBeGreaterThanOrEqual(5);
    expect(losses.length).toBeLessThanOrEqual(6);
    expect(reported(losses)).toBe(storm.warnings());
    for (const g of losses) {
      expect(g.source).toBe('conntrack-events');
      expect(g.reason).toMatch(
        /^conntrack events lost: \d+ ENOBUFS warnings in \d\.\d s with a 268435456-byte buffer; resynchronised from a listing$/,
      );
    }
    // gaps are stamped with the start of their loss period, in order, and cover the storm
    const ats = losses.map((g) => g.at);
    expect(ats).toEqual([...ats].sort((a, b) => a - b));
    expect((ats[0] as number) - t0).toBeLessThan(50);
    const last = losses.at(-1) as Gap;
    expect(last.at).toBeLessThan(t0 + 10_000);
  });

  it('below the cap: grows the buffer once per loss period, restarting the streams only until the cap', async () => {
    const t0 = Date.now();
    const storm = stormSpawn(() => t0 + 10_000, 10);
    const { ev, losses } = events(storm.spawn, 64 * 1024 * 1024);
    ev.start();
    await vi.advanceTimersByTimeAsync(12_000);
    ev.stop();
    // 64 MiB -> 128 MiB -> 256 MiB: two restarts of both streams, then the stream runs on
    expect(storm.spawned).toHaveLength(6);
    expect(storm.spawned.filter((a) => a.includes('-b')).map((a) => a.at(-1))).toEqual([
      String(64 * 2 ** 20),
      String(128 * 2 ** 20),
      String(256 * 2 ** 20),
    ]);
    expect(ev.bufferBytes).toBe(256 * 2 ** 20);
    expect(losses[0]?.reason).toMatch(/67108864-byte buffer; restarted with 134217728 bytes; resynchronised/);
    expect(losses[1]?.reason).toMatch(/restarted with 268435456 bytes/);
    expect(losses.slice(2).every((g) => !g.reason.includes('restarted'))).toBe(true);
    expect(losses.length).toBeLessThanOrEqual(6);
    // warnings a stopped stream still printed are not counted
    expect(reported(losses)).toBe(storm.warnings());
  });

  it('a short burst gives one gap, 500 ms after its last warning', async () => {
    const t0 = Date.now();
    const storm = stormSpawn(() => t0 + 300, 10);
    const { ev, losses } = events(storm.spawn, 256 * 1024 * 1024);
    ev.start();
    await vi.advanceTimersByTimeAsync(770);
    expect(losses).toEqual([]);
    await vi.advanceTimersByTimeAsync(40);
    expect(losses).toHaveLength(1);
    expect(reported(losses)).toBe(storm.warnings());
    await vi.advanceTimersByTimeAsync(10_000);
    expect(losses).toHaveLength(1);
    ev.stop();
  });

  it('a stream that exits is restarted after a delay and reported as one gap', async () => {
    const spawned: string[][] = [];
    const handlers: LineStreamHandlers[] = [];
    const { ev, losses } = events(
      (_f, args, h) => {
        spawned.push(args);
        handlers.push(h);
        return { stop: () => setTimeout(() => h.onExit(null, null), 1) };
      },
      8 * 1024 * 1024,
    );
    ev.start();
    handlers[0]?.onExit(1, null);
    await vi.advanceTimersByTimeAsync(5000);
    expect(spawned).toHaveLength(4);
    expect(losses).toHaveLength(1);
    expect(losses[0]?.reason).toBe('conntrack event stream exited (code 1); resynchronised from a listing');
    ev.stop();
  });
});
