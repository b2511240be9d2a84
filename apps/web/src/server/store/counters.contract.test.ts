import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batch, counters, hello, POLICY_ID, rules } from '../testing/events.ts';
import { tempDir } from '../testing/harness.ts';
import { ENGINES, freshStore, useEngine } from '../testing/store-engines.ts';
import type { Store } from './index.ts';
import { openDatabase } from './sqlite/db.ts';

const HOUR = 3_600_000;
const T = Date.parse('2026-11-30T12:00:00.000Z');

// Rule counters are stored once, whichever engine: the stored deltas add up to the kernel's counter.
describe.each(ENGINES)('rule counters in the store (%s)', (engine) => {
  useEngine(engine);
  let store: Store;
  let close: () => Promise<void>;
  let seq = 0;
  beforeEach(async () => {
    ({ store, close } = await freshStore(engine, { now: () => T }));
    await store.hosts.hello(hello('h1'), T);
    seq = 0;
    await store.writeBatch(
      'h1',
      'stream-0001',
      batch(++seq, [{ kind: 'ruleset', at: T, rules: rules(), diff: null }]),
      T,
    );
  });
  afterEach(async () => {
    await close();
  });
  /** Each poll as a batch of its own, as a collector sends them. */
  const polls = async (...list: [number, number, number][]) => {
    for (const [at, total, d] of list)
      await store.writeBatch('h1', 'stream-0001', batch(++seq, [counters(at, total, d)]), T);
  };
  const sums = async () => {
    const total = async (from: number) =>
      (await store.rules.series('h1', POLICY_ID, from, T + HOUR, 60_000)).buckets.reduce(
        (n, b) => n + b.packets,
        0,
      );
    // ≤ 6 h reads the raw samples, longer ranges the minute rollups.
    return { raw: await total(T - HOUR), rollup: await total(T - 7 * HOUR) };
  };
  const policyTotal = async () =>
    (await store.rules.list('h1', T + HOUR)).find((r) => r.id === POLICY_ID)?.packets;

  it('a sample seen again (the snapshot sent after a reconnect) is stored once', async () => {
    await polls([T + 1000, 10, 0], [T + 2000, 15, 5], [T + 2000, 15, 5], [T + 2000, 15, 0]);
    // The same sample twice in one batch too.
    await store.writeBatch(
      'h1',
      'stream-0001',
      batch(++seq, [counters(T + 3000, 17, 2), counters(T + 3000, 17, 2)]),
      T,
    );
    expect(await sums()).toEqual({ raw: 7, rollup: 7 });
    expect(await policyTotal()).toBe(17);
  });

  it('deltas follow the totals: drops while the collector was down count at its first poll after, a reset from zero', async () => {
    await polls(
      [T + 1000, 10, 0], // the first sample: the collector's delta
      [T + 2000, 12, 2],
      [T + 60_000, 20, 0], // restarted collector: its first poll says 0, the kernel counted 8 meanwhile
      [T + 61_000, 3, 3], // ruleset reloaded, counters zeroed, 3 since
      [T + 30_000, 16, 4], // older than the stored total: already inside it
    );
    expect(await sums()).toEqual({ raw: 2 + 8 + 3, rollup: 2 + 8 + 3 });
    expect(await policyTotal()).toBe(3);
  });
});

describe('SQLite migration 0011', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('keeps the first copy of each duplicated sample and makes samples unique', () => {
    const file = join(dir, 'old.db');
    const db = openDatabase(file);
    db.pragma('user_version = 10');
    db.exec(
      'DROP INDEX rule_samples_rule_at; CREATE INDEX rule_samples_rule_at ON rule_samples(host, rule_id, at)',
    );
    const ins = db.prepare(
      "INSERT INTO rule_samples (host, rule_id, at, packets, bytes, d_packets, d_bytes) VALUES ('h1', 'r', ?, ?, 0, ?, 0)",
    );
    ins.run(1000, 5, 5);
    ins.run(1000, 5, 5);
    ins.run(2000, 7, 2);
    db.close();
    openDatabase(file).close();
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT at, d_packets FROM rule_samples ORDER BY at').all()).toEqual([
      { at: 1000, d_packets: 5 },
      { at: 2000, d_packets: 2 },
    ]);
    check.close();
  });
});
