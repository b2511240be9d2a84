/** Replays a recording into a hub store: the batches as the hub stored them, then the diagnoses it made. */
import type { Diagnosis } from '@ftpscope/shared';
import type { Store } from '../store/index.ts';
import { hello } from '../testing/events.ts';
import type { Recording } from './recorded.fixture.ts';

/** Writes the recording's batches (in arrival order, one stream per host) and diagnoses into a store. */
export async function writeRecording(store: Store, rec: Recording): Promise<void> {
  const seq = new Map<string, number>();
  for (const b of rec.batches) {
    if (!seq.has(b.host)) await store.hosts.hello(hello(b.host, `rec-${b.host}`), b.at);
    const n = (seq.get(b.host) ?? 0) + 1;
    seq.set(b.host, n);
    await store.writeBatch(
      b.host,
      `rec-${b.host}`,
      { type: 'batch', seq: n, sentAt: b.at, events: b.events },
      b.at,
    );
  }
  for (const d of rec.diagnoses) {
    const stored: Diagnosis = {
      ...d,
      firstSeen: Date.parse(d.firstSeen),
      lastSeen: Date.parse(d.lastSeen),
      resolvedAt: d.resolvedAt === null ? null : Date.parse(d.resolvedAt),
    };
    await store.diagnoses.upsert(stored);
  }
}
