import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';

function fakeClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('Backoff', () => {
  it('doubles the ceiling from 500 ms up to the 30 s cap (random = 1 shows the ceiling)', () => {
    const clock = fakeClock();
    const b = new Backoff({ now: clock.now, random: () => 0.999999 });
    const delays = Array.from({ length: 10 }, () => {
      b.connecting();
      return b.closed();
    });
    expect(delays).toEqual([499, 999, 1999, 3999, 7999, 15999, 29999, 29999, 29999, 29999]);
    expect(b.state).toBe('waiting');
  });

  it('applies full jitter: the delay is random() times the ceiling', () => {
    const rolls = [0, 0.5, 0.25];
    const b = new Backoff({ random: () => rolls.shift() ?? 0 });
    expect([b.closed(), b.closed(), b.closed()]).toEqual([0, 500, 500]);
  });

  it('keeps growing across short-lived connections (a hub that accepts then drops)', () => {
    const clock = fakeClock();
    const b = new Backoff({ now: clock.now, random: () => 0.999999, stableMs: 10_000 });
    b.closed();
    b.closed();
    b.connected();
    clock.advance(2_000);
    expect(b.closed()).toBe(1999);
    expect(b.failures).toBe(3);
  });

  it('resets after a connection that stayed up for stableMs', () => {
    const clock = fakeClock();
    const b = new Backoff({ now: clock.now, random: () => 0.999999, stableMs: 10_000 });
    for (let i = 0; i < 8; i++) b.closed();
    b.connecting();
    b.connected();
    expect(b.state).toBe('connected');
    clock.advance(10_000);
    expect(b.closed()).toBe(499);
    expect(b.failures).toBe(1);
  });

  it('reset() returns to idle with the base delay', () => {
    const b = new Backoff({ random: () => 0.999999, baseMs: 100, capMs: 1000 });
    for (let i = 0; i < 5; i++) b.closed();
    b.reset();
    expect(b.state).toBe('idle');
    expect(b.closed()).toBe(99);
  });
});
