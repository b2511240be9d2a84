import { describe, expect, it } from 'vitest';
import { counters, session } from '../testing/events.ts';
import { CoalescingQueue } from './coalescing-queue.ts';

describe('CoalescingQueue', () => {
  it('keeps the latest full state per object, in the order of last updates', () => {
    const q = new CoalescingQueue();
    q.push('alpha', [session('s1', 1, { state: 'SYN_SENT' }), session('s2', 2)]);
    q.push('alpha', [session('s1', 1, { state: 'ESTABLISHED' })]);
    expect(q.size).toBe(2);
    const [msg] = q.drain();
    expect(msg?.host).toBe('alpha');
    expect(
      msg?.events.map((e) => (e.kind === 'session' ? `${e.session.id}:${e.session.state}` : e.kind)),
    ).toEqual(['s2:ESTABLISHED', 's1:ESTABLISHED']);
    expect(q.size).toBe(0);
  });

  it('merges counters: deltas add up, totals are the latest', () => {
    const q = new CoalescingQueue();
    q.push('alpha', [counters(1000, 10, 3), counters(2000, 14, 4)]);
    const [msg] = q.drain();
    expect(msg?.events).toEqual([
      {
        kind: 'counters',
        at: 2000,
        intervalMs: 2000,
        counters: [expect.objectContaining({ packets: 14, dPackets: 7, dBytes: 7 * 60 })],
      },
    ]);
  });

  it('bounds appended records per host, dropping the oldest', () => {
    const q = new CoalescingQueue({ maxAppends: 3 });
    for (let i = 0; i < 10; i++) {
      q.push('alpha', [
        { kind: 'gap', gap: { at: i, source: 's', reason: String(i), fromSeq: null, toSeq: null } },
      ]);
    }
    q.push('alpha', [session('s1', 1)]);
    expect(q.size).toBe(4);
    expect(q.discarded).toBe(7);
    const events = q.drain()[0]?.events ?? [];
    expect(events.map((e) => (e.kind === 'gap' ? e.gap.reason : e.kind))).toEqual(['7', '8', '9', 'session']);
  });

  it('keeps hosts apart', () => {
    const q = new CoalescingQueue();
    q.push('alpha', [session('s1', 1)]);
    q.push('beta', [session('s1', 1)]);
    expect(q.drain().map((m) => m.host)).toEqual(['alpha', 'beta']);
  });
});
