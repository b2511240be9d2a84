import { describe, expect, it } from 'vitest';
import { conntrackTableFull } from './conntrack-table-full.ts';
import { expectationTableFull } from './expectation-table-full.ts';
import { health, hostWindow, NOW } from './window.fixture.ts';

const stats = (drop: number, earlyDrop: number) => ({ ...health().stats, drop, early_drop: earlyDrop });

describe('conntrack-table-full', () => {
  it('fires at 90 % fill and says rule counters do not show these drops', () => {
    const w = hostWindow('healthy', { health: [health({ conntrackCount: 240_000 })] });
    const [f] = conntrackTableFull(w, NOW);
    expect(f?.kind).toBe('conntrack-table-full');
    expect(f?.title).toBe('Conntrack table 92 % full');
    expect(f?.explanation).toContain('do not show on any rule counter');
    expect(f?.fix[0]).toBe('sysctl -w net.netfilter.nf_conntrack_max=524288');
  });

  it('fires at 80 % when early_drop rises in the window, critical', () => {
    const w = hostWindow('healthy', {
      health: [
        health({ at: NOW - 70_000, conntrackCount: 200_000, stats: stats(0, 10) }),
        health({ at: NOW - 1000, conntrackCount: 210_000, stats: stats(0, 25) }),
      ],
    });
    const [f] = conntrackTableFull(w, NOW);
    expect(f?.severity).toBe('critical');
    expect(f?.explanation).toContain('15 drop/early_drop events');
  });

  it('stays quiet at 80 % without drops, and treats a counter reset as no rise', () => {
    const quiet = hostWindow('healthy', {
      health: [
        health({ at: NOW - 70_000, conntrackCount: 200_000, stats: stats(50, 50) }),
        health({ at: NOW - 1000, conntrackCount: 210_000, stats: stats(0, 0) }),
      ],
    });
    expect(conntrackTableFull(quiet, NOW)).toEqual([]);
    expect(conntrackTableFull(hostWindow('healthy'), NOW)).toEqual([]);
  });
});

describe('expectation-table-full', () => {
  it('fires when expectations fill their table', () => {
    const [f] = expectationTableFull(hostWindow('healthy', { health: [health({ expectCount: 4000 })] }), NOW);
    expect(f?.kind).toBe('expectation-table-full');
    expect(f?.explanation).toContain('4000 of at most 4096');
    expect(f?.fix[0]).toBe('sysctl -w net.netfilter.nf_conntrack_expect_max=8192');
  });

  it('stays quiet with a few expectations', () => {
    expect(
      expectationTableFull(hostWindow('healthy', { health: [health({ expectCount: 40 })] }), NOW),
    ).toEqual([]);
  });
});
