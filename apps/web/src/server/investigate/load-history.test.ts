import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../store/index.ts';
import { ENGINES, freshStore, useEngine } from '../testing/store-engines.ts';
import { loadHistory, mergeDropMinutes } from './load-history.ts';
import { loadRecording } from './recorded.fixture.ts';
import { writeRecording } from './replay.fixture.ts';

// What the live hub read at the end of each recording, read back from a store the recording is replayed into:
// on both engines, so their queries answer alike.
describe.each(ENGINES)('loadHistory reads back what the hub stored (%s)', (engine) => {
  useEngine(engine);
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });
  async function replayed(name: Parameters<typeof loadRecording>[0]): Promise<Store> {
    const rec = loadRecording(name);
    const s = await freshStore(engine, { now: () => rec.recordedAt });
    close = s.close;
    await writeRecording(s.store, rec);
    return s.store;
  }

  it.each(['helper-removed', 'helper-removed-nflog', 'helper-restored', 'all-ok'] as const)(
    '%s: the same history as the live hub read',
    async (name) => {
      const rec = loadRecording(name);
      const store = await replayed(name);
      const h = await loadHistory(store, rec.subject, rec.from, rec.to);
      expect(h).toEqual(rec.history);
      expect(h.sessions.length).toBeGreaterThan(0);
    },
  );

  it('reads a narrower window and another subject', async () => {
    const rec = loadRecording('helper-removed');
    const store = await replayed('helper-removed');
    const after = rec.switchedAt as number;
    const h = await loadHistory(store, { host: 'ftp2' }, after, rec.to);
    expect(
      h.sessions.every((s) => s.host === 'ftp2' && (s.endedAt ?? Number.POSITIVE_INFINITY) >= after),
    ).toBe(true);
    expect(h.sessions.length).toBe(
      rec.history.sessions.filter((s) => s.host === 'ftp2' && (s.endedAt ?? 0) >= after).length,
    );
    // ftp1's change is not ftp2's business
    expect(h.changes).toEqual([]);
    expect((await loadHistory(store, { client: '198.18.255.1' }, rec.from, rec.to)).sessions).toEqual([]);
    expect((await loadHistory(store, { user: 'anonymous' }, rec.from, rec.to)).sessions.length).toBe(
      rec.history.sessions.length,
    );
  });
});

describe('mergeDropMinutes', () => {
  it('keeps the larger of counted and logged drops per host and minute (an NFLOG rule logs what the policy counts); an unknown time stays unknown', () => {
    const m = 60_000;
    expect(
      mergeDropMinutes(
        [
          { host: 'a', at: m, packets: 3, first: m + 5000, last: m + 9000 },
          { host: 'b', at: m, packets: 1, first: null, last: null },
        ],
        [
          { host: 'a', at: m, packets: 2, first: m + 4000, last: m + 8000 },
          { host: 'b', at: m, packets: 4, first: m + 1000, last: m + 2000 },
          { host: 'a', at: 2 * m, packets: 1, first: 2 * m, last: 2 * m },
        ],
      ),
    ).toEqual([
      { host: 'a', at: m, packets: 3, first: m + 4000, last: m + 9000 },
      { host: 'b', at: m, packets: 4, first: null, last: null },
      { host: 'a', at: 2 * m, packets: 1, first: 2 * m, last: 2 * m },
    ]);
  });
});
