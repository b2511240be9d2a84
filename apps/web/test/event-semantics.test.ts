import { type CollectorEvent, EVENT_SEMANTICS, mergeRecords } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import { Batcher } from '../../collector/src/transport/batcher.ts';
import { HostWindowBuffer } from '../src/server/diagnoses/host-window-buffer.ts';
import { CoalescingQueue } from '../src/server/live/coalescing-queue.ts';
import { EVENT_PAIRS } from '../src/server/testing/event-pairs.ts';
import { ApiClient } from '../src/ui/lib/api-client.ts';
import { AuthState } from '../src/ui/lib/auth.svelte.ts';
import { HostLiveStore } from '../src/ui/lib/host-live-store.svelte.ts';

const KINDS = Object.keys(EVENT_PAIRS) as CollectorEvent['kind'][];

/** What a consumer that follows EVENT_SEMANTICS keeps of a pair: the second (replaces) or both (appends). */
function expected(kind: CollectorEvent['kind']): CollectorEvent[] {
  const [first, second] = EVENT_PAIRS[kind];
  return EVENT_SEMANTICS[kind].mode === 'append' ? [first, second] : [second];
}

// Each consumer used to decide on its own which kinds replace and which append, and they disagreed (the batcher
// dropped all but one health sample of a batch, the live queue all but one ruleset): they all read one table now.
describe('every consumer follows EVENT_SEMANTICS', () => {
  it.each(KINDS)("the collector's batcher: %s", (kind) => {
    const out: CollectorEvent[][] = [];
    const b = new Batcher({ onBatch: (e) => out.push(e), setTimer: () => 0, clearTimer: () => {} });
    for (const e of EVENT_PAIRS[kind]) b.push(e);
    b.flush();
    expect(out).toEqual([expected(kind)]);
  });

  it.each(KINDS)("the hub's live queue: %s", (kind) => {
    const q = new CoalescingQueue();
    q.push('alpha', EVENT_PAIRS[kind]);
    const events = q.drain()[0]?.events;
    if (mergeRecords(...EVENT_PAIRS[kind])) expect(events).toHaveLength(1);
    else expect(events).toEqual(expected(kind));
  });

  it('the diagnoses buffer: objects replace, records append, the newest ruleset is the current one', () => {
    const b = new HostWindowBuffer('alpha');
    for (const kind of KINDS) for (const e of EVENT_PAIRS[kind]) b.apply(e);
    const w = b.snapshot(Date.parse('2026-03-01T15:00:30.000Z'));
    const second = <K extends CollectorEvent['kind']>(k: K) =>
      EVENT_PAIRS[k][1] as Extract<CollectorEvent, { kind: K }>;
    expect(w.sessions.map((s) => s.state)).toEqual([second('session').session.state]);
    expect(w.expectations).toEqual([second('expectation').expectation]);
    expect(w.dataConnections).toEqual([second('data').data]);
    expect(w.settings).toEqual(second('settings').settings);
    expect(w.rules).toHaveLength(rulesOf(EVENT_PAIRS.ruleset[0]).length);
    expect(w.rulesetChanges).toHaveLength(2);
    expect(w.health).toHaveLength(2);
    expect(w.drops).toHaveLength(2);
    expect(w.gaps).toHaveLength(2);
  });

  it("the UI's host store: the newest health sample and ruleset by time are current, not the last to arrive", () => {
    const ui = new HostLiveStore('alpha', new ApiClient(new AuthState(), fetch), () => 0);
    ui.applyBatch([
      { type: 'events', host: 'alpha', events: [...EVENT_PAIRS.health, ...EVENT_PAIRS.ruleset] },
    ]);
    const [newer] = EVENT_PAIRS.health;
    expect(ui.health).toEqual(newer?.kind === 'health' && newer.health);
    expect([...ui.rules.keys()]).toEqual(rulesOf(EVENT_PAIRS.ruleset[0]).map((r) => r.id));
  });
});

function rulesOf(e: CollectorEvent) {
  if (e.kind !== 'ruleset') throw new Error('not a ruleset');
  return e.rules;
}
