import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LineStreamHandlers } from '../exec.ts';
import { isRulesetChangeLine, NftMonitor } from './nft-monitor.ts';

/** `nft monitor ruleset` as recorded in a namespace while iptables-nft and nft changed rules, sets and elements. */
const RECORDED = readFileSync(
  new URL('../../test/fixtures/nft-monitor/1.0.6/changes.txt', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter(Boolean);

describe('isRulesetChangeLine', () => {
  it('counts table, chain, rule and set changes, not element updates', () => {
    const elements = RECORDED.filter((l) => / element /.test(l));
    expect(elements).toHaveLength(2);
    for (const l of elements) expect(isRulesetChangeLine(l)).toBe(false);
    expect(RECORDED.filter(isRulesetChangeLine)).toHaveLength(RECORDED.length - elements.length);
    expect(isRulesetChangeLine('# new generation 7 by process 26231 (nft)')).toBe(false);
  });

  it('counts a rule inserted at the top (`iptables -I`, `nft insert rule`): the usual way to harden', () => {
    // Recorded: iptables -I, iptables -R, nft add table/chain, nft insert rule, nft replace rule, iptables -D.
    const lines = readFileSync(
      new URL('../../test/fixtures/nft-monitor/1.0.6/insert-replace.txt', import.meta.url),
      'utf8',
    )
      .split('\n')
      .filter(Boolean);
    expect(lines.filter((l) => l.startsWith('insert rule'))).toHaveLength(2);
    expect(lines.filter((l) => !isRulesetChangeLine(l))).toEqual([]);
  });
});

describe('NftMonitor', () => {
  let now = 1_000_000;
  let handlers: LineStreamHandlers[] = [];
  const spawn = (_file: string, _args: string[], h: LineStreamHandlers) => {
    handlers.push(h);
    return { stop: () => {} };
  };
  beforeEach(() => {
    vi.useFakeTimers();
    handlers = [];
    now = 1_000_000;
  });
  afterEach(() => vi.useRealTimers());

  const start = () => {
    const changes: number[] = [];
    const problems: string[] = [];
    const m = new NftMonitor({
      spawn,
      now: () => now,
      onChange: (at) => changes.push(at),
      onProblem: (p) => problems.push(p),
    });
    m.start();
    return { m, changes, problems, h: handlers.at(-1) as LineStreamHandlers };
  };

  it('reports a burst once, stamped with its first notification, after it went quiet', () => {
    const { changes, h } = start();
    for (const line of RECORDED.slice(0, 3)) {
      h.onStdout(line);
      now += 20;
      vi.advanceTimersByTime(20);
    }
    expect(changes).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(changes).toEqual([1_000_000]);
  });

  it('tells a read when the burst it is still debouncing began (a poll may read the change first)', () => {
    const { m, changes, h } = start();
    expect(m.pendingSince()).toBeNull();
    h.onStdout(RECORDED[0] as string);
    now += 30;
    vi.advanceTimersByTime(30);
    expect(m.pendingSince()).toBe(1_000_000);
    vi.advanceTimersByTime(100);
    expect(changes).toEqual([1_000_000]);
    expect(m.pendingSince()).toBeNull();
  });

  it('a long burst (a firewall manager reloading) is still read within 400 ms of its start', () => {
    const { changes, h } = start();
    for (let i = 0; i < 8; i++) {
      h.onStdout(RECORDED[2] as string);
      now += 50;
      vi.advanceTimersByTime(50);
    }
    expect(changes).toEqual([1_000_000]);
  });

  it('ignores element updates alone', () => {
    const { changes, h } = start();
    for (const line of RECORDED.filter((l) => / element /.test(l))) h.onStdout(line);
    vi.advanceTimersByTime(1000);
    expect(changes).toEqual([]);
  });

  it('says when nft is missing or not allowed, so the poll is known to be the only source', () => {
    const a = start();
    a.h.onExit(127, 'nft: not found (ENOENT)');
    expect(a.problems[0]).toMatch(/apt-get install nftables/);
    expect(a.m.running).toBe(false);
    const b = start();
    b.h.onStderr('Error: Operation not permitted');
    expect(b.problems[0]).toMatch(/CAP_NET_ADMIN/);
    expect(b.m.running).toBe(false);
  });

  it('restarts a monitor that died', () => {
    const { h } = start();
    h.onExit(1, null);
    vi.advanceTimersByTime(1000);
    expect(handlers).toHaveLength(2);
  });
});
