import { join } from 'node:path';
import { PROTOCOL_VERSION, type RuleCounter, type RuleDef } from '@ftpscope/shared';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/harness.ts';
import { openDatabase } from './db.ts';
import { Store } from './index.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const POLICY: RuleDef = {
  id: 'r-policy',
  backend: 'iptables-nft',
  family: 'ipv4',
  table: 'filter',
  chain: 'INPUT',
  position: 0,
  text: ':INPUT DROP',
  verdict: 'drop',
  isPolicy: true,
  comment: null,
};
const c = (packets: number, dPackets: number): RuleCounter => ({
  ruleId: POLICY.id,
  packets,
  bytes: packets * 60,
  dPackets,
  dBytes: dPackets * 60,
});

describe('rule counters in the store', () => {
  let dir: string;
  let cleanup: () => void;
  let store: Store;
  const sum = () => {
    const raw = store.rules.series('h1', POLICY.id, T0 - HOUR, T0 + HOUR, 60_000);
    const rollup = store.rules.series('h1', POLICY.id, T0 - 7 * HOUR, T0 + HOUR, 60_000);
    const total = (pts: { packets: number }[]) => pts.reduce((n, p) => n + p.packets, 0);
    return { raw: total(raw.points), rollup: total(rollup.points) };
  };
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    store = new Store(join(dir, 'hub.db'), { now: () => T0 });
    store.hosts.hello(
      {
        type: 'hello',
        protocolVersion: PROTOCOL_VERSION,
        host: 'h1',
        collectorVersion: '0.0.0',
        kernel: '6.1',
        backends: ['iptables-nft'],
        capabilities: [],
        streamId: 'stream-0001',
        lastSeq: 0,
      },
      T0,
    );
    store.rules.applyRuleset('h1', T0, [POLICY], null);
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  it('a sample seen twice (the snapshot after a reconnect) is stored once', () => {
    store.rules.applyCounters('h1', T0 + 1000, [c(10, 0)]);
    store.rules.applyCounters('h1', T0 + 2000, [c(15, 5)]);
    store.rules.applyCounters('h1', T0 + 2000, [c(15, 5)]);
    store.rules.applyCounters('h1', T0 + 2000, [c(15, 0)]);
    expect(sum()).toEqual({ raw: 5, rollup: 5 });
    expect(store.rules.list('h1', T0 + 3000)[0]?.packets).toBe(15);
  });

  it('deltas follow the totals: drops while the collector was down count at its first poll after, resets from zero', () => {
    store.rules.applyCounters('h1', T0 + 1000, [c(10, 0)]); // the first sample: the collector's delta
    store.rules.applyCounters('h1', T0 + 2000, [c(12, 2)]);
    // Collector restarted: its first sample says 0, but 8 drops happened meanwhile.
    store.rules.applyCounters('h1', T0 + 60_000, [c(20, 0)]);
    // Ruleset reloaded, counters zeroed, 3 drops since.
    store.rules.applyCounters('h1', T0 + 61_000, [c(3, 3)]);
    // A sample older than the stored total is already inside it.
    store.rules.applyCounters('h1', T0 + 30_000, [c(16, 4)]);
    expect(sum()).toEqual({ raw: 2 + 8 + 3, rollup: 2 + 8 + 3 });
    expect(store.rules.list('h1', T0 + 62_000)[0]?.packets).toBe(3);
  });

  it('migration 0008 keeps the first copy of each duplicated sample', () => {
    const file = join(dir, 'old.db');
    const db = openDatabase(file);
    db.pragma('user_version = 7');
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
