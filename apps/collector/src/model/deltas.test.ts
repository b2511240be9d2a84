import { describe, expect, it } from 'vitest';
import { DeltaTracker } from './deltas.ts';

describe('DeltaTracker', () => {
  it('yields 0 on the first sample, the increase after, and the new value after a reset', () => {
    const t = new DeltaTracker();
    expect(t.update('a', 10, 1000)).toEqual({ dPackets: 0, dBytes: 0 });
    expect(t.update('a', 15, 1300)).toEqual({ dPackets: 5, dBytes: 300 });
    expect(t.update('a', 15, 1300)).toEqual({ dPackets: 0, dBytes: 0 });
    expect(t.update('a', 2, 120)).toEqual({ dPackets: 2, dBytes: 120 });
  });

  it('forgets keys that are not retained', () => {
    const t = new DeltaTracker();
    t.update('a', 10, 10);
    t.retain(new Set());
    expect(t.update('a', 20, 20)).toEqual({ dPackets: 0, dBytes: 0 });
  });
});
