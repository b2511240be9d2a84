import type { CollectorEvent } from '@ftpscope/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { countersEvent, sessionEvent } from '../../test/transport-helpers.ts';
import { Batcher, FLUSH_MS } from './batcher.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function setup(maxEvents?: number) {
  const batches: CollectorEvent[][] = [];
  const batcher = new Batcher({ onBatch: (e) => batches.push(e), ...(maxEvents ? { maxEvents } : {}) });
  return { batches, batcher };
}

describe('Batcher', () => {
  it('flushes 200 ms after the first event, not earlier', () => {
    const { batches, batcher } = setup();
    batcher.push(countersEvent(1));
    vi.advanceTimersByTime(150);
    batcher.push(countersEvent(2));
    vi.advanceTimersByTime(FLUSH_MS - 150 - 1);
    expect(batches).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual([[countersEvent(1), countersEvent(2)]]);
  });

  it('does not wake up while idle, and restarts the 200 ms window on the next event', () => {
    const { batches, batcher } = setup();
    vi.advanceTimersByTime(5000);
    expect(vi.getTimerCount()).toBe(0);
    batcher.push(countersEvent(1));
    vi.advanceTimersByTime(FLUSH_MS);
    batcher.push(countersEvent(2));
    expect(batches).toHaveLength(1);
    vi.advanceTimersByTime(FLUSH_MS);
    expect(batches).toHaveLength(2);
  });

  it('flushes at once when the batch is full', () => {
    const { batches, batcher } = setup(3);
    for (let i = 0; i < 7; i++) batcher.push(countersEvent(i));
    expect(batches.map((b) => b.length)).toEqual([3, 3]);
    vi.advanceTimersByTime(FLUSH_MS);
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
  });

  it('keeps only the latest full state of a session, in the slot where it first appeared', () => {
    const { batches, batcher } = setup();
    batcher.push(sessionEvent('a', 'SYN_SENT'));
    batcher.push(countersEvent(1));
    batcher.push(sessionEvent('b'));
    batcher.push(sessionEvent('a', 'ESTABLISHED'));
    batcher.push(sessionEvent('a', 'TIME_WAIT'));
    batcher.push(countersEvent(2));
    batcher.flush();
    expect(batches).toEqual([
      [sessionEvent('a', 'TIME_WAIT'), countersEvent(1), sessionEvent('b'), countersEvent(2)],
    ]);
    // Coalescing is per batch: the next batch starts fresh.
    batcher.push(sessionEvent('a', 'CLOSE'));
    batcher.push(sessionEvent('a', 'CLOSED'));
    vi.advanceTimersByTime(FLUSH_MS);
    expect(batches[1]).toEqual([sessionEvent('a', 'CLOSED')]);
  });

  it('stop() flushes what is waiting and ignores later events', () => {
    const { batches, batcher } = setup();
    batcher.push(countersEvent(1));
    batcher.stop();
    batcher.push(countersEvent(2));
    vi.advanceTimersByTime(FLUSH_MS * 2);
    expect(batches).toEqual([[countersEvent(1)]]);
  });
});
