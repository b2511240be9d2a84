import { describe, expect, it } from 'vitest';
import { HostWindowBuffer } from './host-window-buffer.ts';
import { health, NOW, ruleId, ruleset, session } from './rules/window.fixture.ts';

describe('HostWindowBuffer', () => {
  const { rules } = ruleset('hardened-no-helper');
  const policy = ruleId(rules, 'INPUT');
  const accept = rules.find((r) => r.verdict === 'accept' && !r.isPolicy)?.id ?? '';

  it('keeps drop-rule deltas only, records ruleset changes and ends sessions missing from a sync', () => {
    const b = new HostWindowBuffer('ftp1');
    const s = session({ startedAt: NOW - 10_000 });
    b.apply({ kind: 'ruleset', at: NOW - 20_000, rules, diff: null });
    b.apply({
      kind: 'counters',
      at: NOW - 5000,
      intervalMs: 1000,
      counters: [
        { ruleId: policy, packets: 3, bytes: 180, dPackets: 3, dBytes: 180 },
        { ruleId: accept, packets: 40, bytes: 2244, dPackets: 40, dBytes: 2244 },
      ],
    });
    b.apply({
      kind: 'ruleset',
      at: NOW - 4000,
      rules,
      diff: { added: ['x'], removed: [], moved: [], policyChanges: [] },
    });
    b.apply({ kind: 'session', session: s });
    b.apply({ kind: 'sync', at: NOW - 1000, activeSessionIds: [] });
    const w = b.snapshot(NOW);
    expect(w.counterSamples).toEqual([{ at: NOW - 5000, ruleId: policy, dPackets: 3 }]);
    expect(w.countersSince).toBe(NOW - 6000);
    expect(w.rulesetChanges.map((c) => c.at)).toEqual([NOW - 4000]);
    expect(w.sessions[0]?.endedAt).toBe(NOW - 1000);
  });

  it('forgets what is older than it needs, keeping one health sample as a baseline', () => {
    const b = new HostWindowBuffer('ftp1');
    b.apply({ kind: 'session', session: session({ startedAt: NOW - 400_000, endedAt: NOW - 300_000 }) });
    for (let i = 0; i < 10; i++)
      b.apply({ kind: 'health', health: health({ at: NOW - 100_000 + i * 10_000 }) });
    const w = b.snapshot(NOW);
    expect(w.sessions).toEqual([]);
    expect(w.health[0]?.at).toBe(NOW - 70_000);
    expect(w.health).toHaveLength(7);
  });
});
