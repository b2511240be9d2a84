import { describe, expect, it } from 'vitest';
import { expectationsUnused } from './expectations-unused.ts';
import { RULES } from './index.ts';
import { loadRecorded, replayWindows } from './recorded.fixture.ts';
import {
  drop,
  expectation,
  goodPassive,
  hostWindow,
  NOW,
  ruleId,
  ruleset,
  samples,
  session,
  settings,
} from './window.fixture.ts';

describe('expectations-unused', () => {
  it('fires when passive expectations wait unused and nothing is dropped here', () => {
    const s = session({ startedAt: NOW - 20_000 });
    const e1 = expectation(s, { createdAt: NOW - 19_000, port: 40054 });
    const e2 = expectation(s, { createdAt: NOW - 9_000, port: 40077 });
    const w = hostWindow('healthy', {
      sessions: [s],
      expectations: [e1, e2],
      settings: settings({ pasvAddress: '203.0.113.9' }),
    });
    const [f] = expectationsUnused(w, NOW);
    expect(f?.kind).toBe('expectations-unused');
    expect(f?.explanation).toContain('2 passive expectations');
    expect(f?.explanation).toContain('40054, 40077');
    expect(f?.explanation).toContain('pasv_address 203.0.113.9');
  });

  it('fires on a healthy ruleset even with unrelated policy drops (RELATED is accepted first)', () => {
    const { rules } = ruleset('healthy');
    const s = session({ startedAt: NOW - 20_000 });
    const e = expectation(s, { createdAt: NOW - 19_000, expiredAt: NOW - 5000 });
    const w = hostWindow('healthy', {
      sessions: [s],
      expectations: [e],
      counterSamples: samples(ruleId(rules, 'INPUT'), NOW - 30_000, NOW, 1),
    });
    expect(expectationsUnused(w, NOW)).toHaveLength(1);
  });

  it('stays quiet when the data SYN to the expected port was dropped here (NFLOG)', () => {
    const s = session({ startedAt: NOW - 20_000 });
    const e = expectation(s, { createdAt: NOW - 19_000, port: 40091 });
    expect(
      expectationsUnused(
        hostWindow('healthy', { sessions: [s], expectations: [e], drops: [drop(NOW - 18_000)] }),
        NOW,
      ),
    ).toEqual([]);
  });

  it('stays quiet for an expectation younger than 5 s (the client is about to connect)', () => {
    const s = session({ startedAt: NOW - 3000 });
    const e = expectation(s, { createdAt: NOW - 2000 });
    expect(expectationsUnused(hostWindow('healthy', { sessions: [s], expectations: [e] }), NOW)).toEqual([]);
  });

  it('stays quiet under load when a client abandons one PASV among many used ones', () => {
    const sessions = Array.from({ length: 20 }, (_, i) => session({ startedAt: NOW - 50_000 + i * 1000 }));
    const good = sessions.map((s) => goodPassive(s));
    const abandoned = expectation(sessions[0] ?? session(), {
      createdAt: NOW - 30_000,
      expiredAt: NOW - 29_000,
    });
    const w = hostWindow('healthy', {
      sessions,
      expectations: [...good.map((g) => g.e), abandoned],
      dataConnections: good.map((g) => g.d),
    });
    expect(expectationsUnused(w, NOW)).toEqual([]);
  });
});

describe('expectations-unused on a recorded no-related host (helper works, RELATED not accepted)', () => {
  // Recorded: curl passive ls on the lab's no-related profile; the data SYN matched its expectation and was
  // dropped by the INPUT policy. That is related-not-accepted, and only that: the SYN did arrive here.
  const recorded = loadRecorded('no-related-curl-passive');
  const kinds = (events: typeof recorded) => {
    const seen = new Set<string>();
    for (const { now, window } of replayWindows(events))
      for (const kind of Object.keys(RULES) as Array<keyof typeof RULES>)
        if (RULES[kind](window, now).length > 0) seen.add(kind);
    return [...seen].sort();
  };

  it('as recorded: only related-not-accepted, at every moment', () => {
    expect(kinds(recorded)).toEqual(['related-not-accepted']);
  });

  it('when the counter polls come late (a backed-off poll): never expectations-unused', () => {
    // The expectation ends unused before the next poll reports the policy's drops: the order a slow poll gives.
    const late = recorded.filter((r) => r.event.kind !== 'counters' || r.t < 1000 || r.t > 9000);
    expect(kinds(late)).not.toContain('expectations-unused');
  });

  it('when the rules have no counters at all (firewalld, hand-written nftables): never expectations-unused', () => {
    const none = recorded.filter((r) => r.event.kind !== 'counters');
    expect(kinds(none)).not.toContain('expectations-unused');
  });
});

describe('expectations-unused on a host that filters nothing', () => {
  it('still fires on an open ruleset (no drop policy or rule here, so the SYN was lost before this host)', () => {
    const s = session({ startedAt: NOW - 20_000 });
    const e = expectation(s, { createdAt: NOW - 19_000, expiredAt: NOW - 5000 });
    expect(expectationsUnused(hostWindow('open', { sessions: [s], expectations: [e] }), NOW)).toHaveLength(1);
  });
});
