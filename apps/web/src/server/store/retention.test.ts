import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batch, counters, data, expectation, hello, rules, session } from '../testing/events.ts';
import { tempDir } from '../testing/harness.ts';
import { Store } from './index.ts';

const DAY = 86_400_000;

describe('retention', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('prunes each tier past its age in small chunks, keeps the rest, and never blocks ingest', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const store = new Store(join(dir, 'hub.db'), {
      now: () => now,
      retention: { rawDays: 7, rollupDays: 90, historyDays: 90 },
      pruneChunkRows: 5,
    });
    const start = now;
    store.hosts.hello(hello('alpha'), now);
    let seq = 0;
    // 100 days of history, one batch every 12 hours: samples, rollups, closed sessions with children, drops.
    for (let t = start; t < start + 100 * DAY; t += DAY / 2) {
      const id = `s${seq}`;
      store.writeBatch(
        'alpha',
        'stream-0001',
        batch(++seq, [
          ...(seq === 1 ? [{ kind: 'ruleset' as const, at: t, rules: rules(), diff: null }] : []),
          session(id, t, { endedAt: t + 60_000, state: 'CLOSED' }),
          expectation(`x${seq}`, id, t + 10),
          data(`d${seq}`, id, t + 20),
          counters(t, seq, 1),
          {
            kind: 'drop',
            drop: {
              at: t,
              group: 5,
              ruleId: null,
              prefix: null,
              proto: 'TCP',
              src: '198.18.0.100',
              dst: '198.18.1.1',
              sport: 1,
              dport: 2,
              flags: 'S',
            },
          },
        ]),
        t,
      );
    }
    now = start + 100 * DAY;
    expect(store.count('rule_samples')).toBe(200);
    expect(store.count('sessions')).toBe(200);

    // Small chunks: ingest keeps working between them on the same connection.
    const retention = store.retention;
    const pruning = retention.pruneOnce();
    store.writeBatch('alpha', 'stream-0001', batch(++seq, [session('live', now)]), now);
    const deleted = await pruning;

    expect(deleted.rule_samples).toBe(200 - 14); // 7 days × 2 kept
    expect(store.count('rule_samples')).toBe(14);
    expect(deleted.rule_rollup_1m).toBe(20); // 10 days older than 90
    expect(store.count('sessions')).toBe(180 + 1);
    expect(store.count('drops')).toBe(180);
    expect(store.count('expectations')).toBe(180);
    expect(store.count('data_connections')).toBe(180);
    expect(store.sessions.get('live')?.endedAt).toBeNull();
    // Idempotent: nothing left to prune at the same time.
    expect(Object.values(await retention.pruneOnce()).reduce((a, b) => a + b, 0)).toBe(0);
    await store.close();
  });
});
