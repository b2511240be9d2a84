import type { CollectorEvent } from '@ftpscope/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { countersEvent, sessionEvent } from '../../test/transport-helpers.ts';
import { Batcher, BUSY_EVENTS, FLUSH_MS, QUIET_MS, SPACING_MS } from './batcher.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function setup(maxEvents?: number) {
  const batches: CollectorEvent[][] = [];
  const batcher = new Batcher({
    onBatch: (e) => batches.push(e),
    now: () => Date.now(), // faked by vi.useFakeTimers
    ...(maxEvents ? { maxEvents } : {}),
  });
  return { batches, batcher };
}

describe('Batcher', () => {
  it('after a quiet period, flushes QUIET_MS after the first event with what came along', () => {
    const { batches, batcher } = setup();
    batcher.push(countersEvent(1));
    vi.advanceTimersByTime(QUIET_MS - 5);
    batcher.push(countersEvent(2));
    vi.advanceTimersByTime(4);
    expect(batches).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual([[countersEvent(1), countersEvent(2)]]);
  });

  it('keeps small batches SPACING_MS apart, and never lets an event wait more than FLUSH_MS', () => {
    const { batches, batcher } = setup();
    batcher.push(countersEvent(1));
    vi.advanceTimersByTime(QUIET_MS);
    expect(batches).toHaveLength(1);
    batcher.push(countersEvent(2)); // right after a batch: waits for the spacing
    vi.advanceTimersByTime(SPACING_MS - 1);
    expect(batches).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(batches).toHaveLength(2);
    vi.advanceTimersByTime(5000);
    expect(vi.getTimerCount()).toBe(0); // no wake-ups while idle
  });

  it('under load (a batch of BUSY_EVENTS), the next batch waits FLUSH_MS: as few batches as before', () => {
    const { batches, batcher } = setup();
    for (let i = 0; i < BUSY_EVENTS; i++) batcher.push(countersEvent(i));
    vi.advanceTimersByTime(QUIET_MS);
    expect(batches).toHaveLength(1);
    batcher.push(countersEvent(-1));
    vi.advanceTimersByTime(FLUSH_MS - 1);
    expect(batches).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(batches).toHaveLength(2);
  });

  it('a change that is not urgent waits up to FLUSH_MS; an urgent event brings the batch forward', () => {
    const { batches, batcher } = setup();
    batcher.push(sessionEvent('a', 'ESTABLISHED'), false);
    vi.advanceTimersByTime(FLUSH_MS - 1);
    expect(batches).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual([[sessionEvent('a', 'ESTABLISHED')]]);
    // Long after that batch: a lazy change, then a new session 10 ms later goes QUIET_MS after it, with it.
    vi.advanceTimersByTime(5000);
    batcher.push(sessionEvent('a', 'TIME_WAIT'), false);
    vi.advanceTimersByTime(10);
    batcher.push(sessionEvent('b', 'SYN_SENT'));
    vi.advanceTimersByTime(QUIET_MS - 1);
    expect(batches).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(batches[1]).toEqual([sessionEvent('a', 'TIME_WAIT'), sessionEvent('b', 'SYN_SENT')]);
    // An urgent event replacing a lazy one in its slot brings the batch forward too.
    vi.advanceTimersByTime(5000);
    batcher.push(sessionEvent('c', 'ESTABLISHED'), false);
    batcher.push(sessionEvent('c', 'CLOSE'));
    vi.advanceTimersByTime(QUIET_MS);
    expect(batches[2]).toEqual([sessionEvent('c', 'CLOSE')]);
    vi.advanceTimersByTime(FLUSH_MS);
    expect(batches).toHaveLength(3);
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
