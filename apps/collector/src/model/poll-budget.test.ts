import { describe, expect, it } from 'vitest';
import { PollBudget } from './poll-budget.ts';

describe('PollBudget', () => {
  it('stays at the configured interval while polls cost well under 2% of a core', () => {
    const b = new PollBudget(1000);
    for (const cost of [8, 6, 7, 9, 6]) b.record(cost);
    expect(b.intervalMs).toBe(1000);
  });

  it('does not back off for one costly poll (the recheck of every tool at start)', () => {
    const b = new PollBudget(1000);
    b.record(60);
    expect(b.intervalMs).toBe(1000);
  });

  it('backs off to keep a steadily costly poll (huge ruleset) near 2% of a core, and comes back', () => {
    const b = new PollBudget(1000);
    for (let i = 0; i < 40; i++) b.record(200);
    expect(b.intervalMs).toBeGreaterThanOrEqual(9_000);
    expect(b.intervalMs).toBeLessThanOrEqual(10_000);
    for (let i = 0; i < 40; i++) b.record(5);
    expect(b.intervalMs).toBe(1000);
  });

  it('never waits more than a minute', () => {
    const b = new PollBudget(1000);
    for (let i = 0; i < 40; i++) b.record(10_000);
    expect(b.intervalMs).toBe(60_000);
  });

  it('on a quiet host doubles the interval every 10 polls up to 4x, and the first change restores it', () => {
    const b = new PollBudget(1000);
    const seen = Array.from({ length: 40 }, () => {
      b.record(5, false);
      return b.intervalMs;
    });
    expect(seen.slice(0, 9).every((i) => i === 1000)).toBe(true);
    expect(seen[9]).toBe(2000);
    expect(seen[19]).toBe(4000);
    expect(seen[39]).toBe(4000);
    b.record(5, true);
    expect(b.intervalMs).toBe(1000);
  });

  it('a costly quiet host keeps the larger of the two back-offs', () => {
    const b = new PollBudget(1000);
    for (let i = 0; i < 40; i++) b.record(200, false);
    expect(b.intervalMs).toBeGreaterThanOrEqual(9_000);
  });
});
