import type { Gap } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import { HostWindowBuffer } from '../host-window-buffer.ts';
import type { HostWindow } from '../types.ts';
import { activeModeBlocked } from './active-mode-blocked.ts';
import { expectationsUnused } from './expectations-unused.ts';
import { ftpHelperNotAssigned } from './ftp-helper-not-assigned.ts';
import { overlapsGap } from './gaps.ts';
import { helperBlindTls } from './helper-blind-tls.ts';
import { relatedNotAccepted } from './related-not-accepted.ts';
import {
  data,
  expectation,
  hostWindow,
  NOW,
  ruleId,
  ruleset,
  samples,
  session,
  settings,
} from './window.fixture.ts';

/** A conntrack event overflow as the collector reports it (ENOBUFS, then a resync). */
const overflow = (at: number): Gap => ({
  at,
  source: 'conntrack-events',
  reason:
    'conntrack -E: We have hit ENOBUFS! (events lost); restarted with 4194304 bytes and resynchronised from a listing',
  fromSeq: null,
  toSeq: null,
});

/** Each window fires without a gap, and must not fire when a gap covers the evidence of absence. */
function withAndWithoutGap(w: HostWindow, gapAt: number) {
  return { plain: w, gapped: { ...w, gaps: [overflow(gapAt)] } };
}

describe('gap awareness: absence inside a gap proves nothing', () => {
  it('overlapsGap: 10 s before a gap to 5 s after it', () => {
    const w = hostWindow('healthy', { gaps: [overflow(NOW - 30_000)] });
    expect(overlapsGap(w, NOW - 25_000, NOW - 24_000)).toBe(true);
    expect(overlapsGap(w, NOW - 45_000, NOW - 40_001)).toBe(false);
    expect(overlapsGap(w, NOW - 45_000, NOW - 40_000)).toBe(true);
    expect(overlapsGap(w, NOW - 25_000, NOW)).toBe(true);
    expect(overlapsGap(w, NOW - 24_999, NOW)).toBe(false);
    expect(overlapsGap(hostWindow('healthy'), NOW - 60_000, NOW)).toBe(false);
  });

  it('expectations-unused: unfulfilled expectations that lived through a gap are not "never arrived"', () => {
    const s = session({ startedAt: NOW - 20_000 });
    const e1 = expectation(s, { createdAt: NOW - 19_000, port: 40054 });
    const e2 = expectation(s, { createdAt: NOW - 9_000, port: 40077 });
    const { plain, gapped } = withAndWithoutGap(
      hostWindow('healthy', { sessions: [s], expectations: [e1, e2] }),
      NOW - 12_000,
    );
    expect(expectationsUnused(plain, NOW).map((f) => f.kind)).toEqual(['expectations-unused']);
    expect(expectationsUnused(gapped, NOW)).toEqual([]);
    // A gap long before the expectations changes nothing.
    expect(expectationsUnused({ ...plain, gaps: [overflow(NOW - 50_000)] }, NOW)).toHaveLength(1);
  });

  it('expectations-unused: still fires on unused expectations after the gap, counting only those', () => {
    const s = session({ startedAt: NOW - 40_000 });
    const before = expectation(s, { createdAt: NOW - 38_000, expiredAt: NOW - 36_000, port: 40011 });
    const after = expectation(s, { createdAt: NOW - 15_000, expiredAt: NOW - 10_000, port: 40022 });
    const w = hostWindow('healthy', {
      sessions: [s],
      expectations: [before, after],
      gaps: [overflow(NOW - 35_000)],
    });
    const [f] = expectationsUnused(w, NOW);
    expect(f?.explanation).toContain('1 passive expectation in the last minute');
    expect(f?.evidence.filter((e) => e.type === 'expectation').map((e) => e.id)).toEqual([after.id]);
  });

  it('related-not-accepted: expectations whose fulfilment may be lost are not counted as failed', () => {
    const { rules } = ruleset('no-related');
    const s = session({ startedAt: NOW - 20_000 });
    const e = expectation(s, { createdAt: NOW - 19_000, expiredAt: NOW - 19_000 + 2 });
    const { plain, gapped } = withAndWithoutGap(
      hostWindow('no-related', {
        sessions: [s],
        expectations: [e],
        counterSamples: samples(ruleId(rules, 'INPUT'), NOW - 19_000, NOW - 12_000, 1),
      }),
      NOW - 18_000,
    );
    expect(relatedNotAccepted(plain, NOW).map((f) => f.kind)).toEqual(['related-not-accepted']);
    expect(relatedNotAccepted(gapped, NOW)).toEqual([]);
  });

  it('ftp-helper-not-assigned: a data connection whose reply may be lost is not a failure', () => {
    const s = session({ helper: null, startedAt: NOW - 20_000 });
    const syn = data(s, null, { established: false, state: 'SYN_SENT', startedAt: NOW - 10_000 });
    const { plain, gapped } = withAndWithoutGap(
      hostWindow('nft-no-helper', { sessions: [s], dataConnections: [syn] }),
      NOW - 8000,
    );
    expect(ftpHelperNotAssigned(plain, NOW).map((f) => f.kind)).toEqual(['ftp-helper-not-assigned']);
    expect(ftpHelperNotAssigned(gapped, NOW)).toEqual([]);
  });

  it('ftp-helper-not-assigned: drops counted by the rules are evidence a gap does not erase', () => {
    const { rules } = ruleset('hardened-no-helper');
    const s = session({ helper: null, startedAt: NOW - 20_000 });
    const w = hostWindow('hardened-no-helper', {
      sessions: [s],
      counterSamples: samples(ruleId(rules, 'INPUT'), NOW - 18_000, NOW - 15_000, 1),
      gaps: [overflow(NOW - 16_000)],
    });
    expect(ftpHelperNotAssigned(w, NOW).map((f) => f.kind)).toEqual(['ftp-helper-not-assigned']);
  });

  it('helper-blind-tls: a TLS session that lived through a gap may have had an expectation', () => {
    const { rules } = ruleset('healthy');
    const s = session({ tls: true, startedAt: NOW - 20_000 });
    const { plain, gapped } = withAndWithoutGap(
      hostWindow('healthy', {
        sessions: [s],
        settings: settings({ tls: true }),
        counterSamples: samples(ruleId(rules, 'INPUT'), NOW - 18_000, NOW - 15_000, 1),
      }),
      NOW - 17_000,
    );
    expect(helperBlindTls(plain, NOW).map((f) => f.kind)).toEqual(['helper-blind-tls']);
    expect(helperBlindTls(gapped, NOW)).toEqual([]);
  });

  it('active-mode-blocked: an unanswered active data connection inside a gap is not counted', () => {
    const s = session({ startedAt: NOW - 20_000, mode: 'active' });
    const e = expectation(s, { mode: 'active', createdAt: NOW - 12_000, fulfilledAt: NOW - 11_900 });
    const out = data(s, e, {
      mode: 'active',
      established: false,
      state: 'SYN_SENT',
      startedAt: NOW - 11_900,
    });
    const { plain, gapped } = withAndWithoutGap(
      hostWindow('healthy', { sessions: [s], expectations: [e], dataConnections: [out] }),
      NOW - 11_000,
    );
    expect(activeModeBlocked(plain, NOW).map((f) => f.kind)).toEqual(['active-mode-blocked']);
    expect(activeModeBlocked(gapped, NOW)).toEqual([]);
  });

  it('the hub keeps the gaps it ingests in the window, and forgets them with the data they cover', () => {
    const b = new HostWindowBuffer('ftp1');
    b.apply({ kind: 'gap', gap: overflow(NOW - 5000) });
    expect(b.snapshot(NOW).gaps.map((g) => g.source)).toEqual(['conntrack-events']);
    expect(b.snapshot(NOW + 11 * 60_000).gaps).toEqual([]);
  });
});
