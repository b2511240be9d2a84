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
