import type { Expectation } from '@ftpscope/shared';
import { MAX_EVIDENCE_PER_TYPE, NOT_ESTABLISHED_AFTER_MS, UNUSED_AFTER_MS } from '../thresholds.ts';
import type { Evidence, HostWindow } from '../types.ts';
import { recentFrom } from './activity.ts';
import { overlapsGap } from './gaps.ts';

/** Expectations created in the recent window (or still open). */
export function recentExpectations(w: HostWindow, now: number): Expectation[] {
  const from = recentFrom(now);
  return w.expectations.filter(
    (e) => e.createdAt >= from || (e.fulfilledAt === null && e.expiredAt === null),
  );
}

/**
 * Expectations whose data connection did not come through: never fulfilled (destroyed, or open past
 * UNUSED_AFTER_MS), or fulfilled by a connection that never got a reply. Not those whose life
 * overlaps a gap: the event that fulfilled or established them may be the one lost.
 */
export function failedExpectations(w: HostWindow, now: number, list: Expectation[]): Expectation[] {
  const notEstablished = new Set(
    w.dataConnections
      .filter(
        (c) => c.expectationId !== null && !c.established && c.startedAt <= now - NOT_ESTABLISHED_AFTER_MS,
      )
      .map((c) => c.expectationId as string),
  );
  return list.filter((e) => {
    if (e.fulfilledAt === null) {
      const failed = e.expiredAt !== null || e.createdAt <= now - UNUSED_AFTER_MS;
      return failed && !overlapsGap(w, e.createdAt, e.expiredAt ?? now);
    }
    return notEstablished.has(e.id) && !overlapsGap(w, e.createdAt, now);
  });
}

/** Expectations that were used by a data connection (fulfilled and, if seen, established). */
export function usedExpectations(w: HostWindow, now: number, list: Expectation[]): Expectation[] {
  const failed = new Set(failedExpectations(w, now, list).map((e) => e.id));
  return list.filter((e) => e.fulfilledAt !== null && !failed.has(e.id));
}

/** Evidence links for expectations. */
export function expectationEvidence(list: Expectation[]): Evidence[] {
  return list.slice(0, MAX_EVIDENCE_PER_TYPE).map((e) => ({
    type: 'expectation',
    id: e.id,
    label: `${e.mode} ${e.src} → ${e.dst}:${e.port}, ${e.fulfilledAt !== null ? 'fulfilled' : e.expiredAt !== null ? 'ended unused' : 'still waiting'}`,
  }));
}
