import { describe, expect, it } from 'vitest';
import { diagnosisKey, evaluate } from './engine.ts';
import { occurrenceId, occurrenceKey } from './occurrence.ts';
import {
  drop,
  goodPassive,
  hostWindow,
  NOW,
  ruleId,
  ruleset,
  samples,
  session,
  settings,
} from './rules/window.fixture.ts';
import type { HostWindow } from './types.ts';

/** 500 sessions in a minute, every one with a used expectation and an established data connection. */
function busyHealthy(name: string, over: Partial<HostWindow> = {}): HostWindow {
  const sessions = Array.from({ length: 500 }, (_, i) =>
    session({ startedAt: NOW - 59_000 + i * 100, endedAt: i % 2 ? NOW - 1000 : null }),
  );
  const transfers = sessions.map((s) => goodPassive(s));
  return hostWindow(name, {
    sessions,
    expectations: transfers.map((t) => t.e),
    dataConnections: transfers.map((t) => t.d),
    ...over,
  });
}

describe('engine', () => {
  it('finds nothing on healthy hosts under load, with steady scanner drops and a recent ruleset change', () => {
    const { rules } = ruleset('healthy');
    const scans = samples(ruleId(rules, 'INPUT'), NOW - 10 * 60_000, NOW, 1);
    const change = {
      id: 'c',
      at: NOW - 120_000,
      diff: { added: ['-A INPUT -p icmp -j ACCEPT'], removed: [], moved: [], policyChanges: [] },
    };
    const ssh = drop(NOW - 5000, { dport: 22, sport: 40000 });
    for (const w of [
      busyHealthy('healthy', { counterSamples: scans, rulesetChanges: [change], drops: [ssh] }),
      busyHealthy('nft-healthy'),
      busyHealthy('open'),
    ]) {
      expect(evaluate(w, NOW), w.rules[0]?.backend).toEqual([]);
    }
  });

  it('reports hardened-no-helper after a hardening change as exactly two diagnoses with stable ids', () => {
    const { rules } = ruleset('hardened-no-helper');
    const policy = ruleId(rules, 'INPUT');
    const w = hostWindow('hardened-no-helper', {
      sessions: [session({ helper: null, startedAt: NOW - 20_000 })],
      countersSince: NOW - 300_000,
      rulesetChanges: [
        { id: 'change-1', at: NOW - 25_000, diff: { added: [], removed: [], moved: [], policyChanges: [] } },
      ],
      counterSamples: samples(policy, NOW - 19_000, NOW - 10_000, 1),
    });
    const found = evaluate(w, NOW);
    expect(found.map((d) => d.key).sort()).toEqual([
      'ftp1:drops-after-ruleset-change:change-1',
      'ftp1:ftp-helper-not-assigned',
    ]);
  });

  it('keeps running the other rules when one throws, and logs it', () => {
    const errors: unknown[] = [];
    const log = { info() {}, warn() {}, error: (o: object) => errors.push(o) };
    const w = hostWindow('healthy', { settings: settings({ listenPort: 2121 }) });
    const found = evaluate(w, NOW, {
      log,
      rules: {
        'conntrack-table-full': () => {
          throw new Error('boom');
        },
        'nonstandard-control-port': () => [
          {
            kind: 'nonstandard-control-port',
            subject: '2121',
            severity: 'warning',
            title: 't',
            explanation: 'e',
            evidence: [],
            fix: [],
          },
        ],
      },
    });
    expect(found.map((d) => d.key)).toEqual(['ftp1:nonstandard-control-port:2121']);
    expect(errors).toHaveLength(1);
  });

  it('keeps occurrence ids within the schema limit, and their key recoverable', () => {
    const key = diagnosisKey('h'.repeat(64), 'drops-after-ruleset-change', 'x'.repeat(100));
    const id = occurrenceId(key, 9_999_999_999_999);
    expect(id.length).toBeLessThanOrEqual(128);
    expect(occurrenceKey(id)).toBe(key);
    expect(diagnosisKey('ftp1', 'related-not-accepted')).toBe('ftp1:related-not-accepted');
    // A subject with '@' (an address) and an id stored before occurrences existed.
    expect(occurrenceKey(occurrenceId('ftp1:x:a@b', 5))).toBe('ftp1:x:a@b');
    expect(occurrenceKey('ftp1:x:a@b')).toBe('ftp1:x:a@b');
  });
});
