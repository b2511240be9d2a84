import { describe, expect, it } from 'vitest';
import { afterBurst, BURST_BYTES } from './memory.ts';

describe('afterBurst', () => {
  it('gives a burst of promoted garbage back at once, and leaves small deliveries alone', () => {
    expect(afterBurst(BURST_BYTES - 1)).toBe(false);
    // Survives long enough to be promoted (as a resync's frames do while they wait for the hub's ack), then dies.
    let burst: { i: number; s: string }[] | null = Array.from({ length: 500_000 }, (_, i) => ({
      i,
      s: `x${i}`,
    }));
    expect(burst.length).toBe(500_000);
    const before = process.memoryUsage().heapUsed;
    burst = null;
    expect(afterBurst(BURST_BYTES)).toBe(true);
    expect(process.memoryUsage().heapUsed).toBeLessThan(before - 20 * 1024 * 1024);
  });
});
