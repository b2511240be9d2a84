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
});
