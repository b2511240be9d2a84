/**
 * Baseline of bench 4, in its own process: the hub's own store (the same rows, one transaction per batch) fed
 * the same batches with no network, no JSON and no validation. argv: DB_FILE (or a postgres:// URL)
 * BATCH_EVENTS SECONDS. Prints { eventsPerS }.
 */
import type { Batch } from '@ftpscope/shared';
import { openStore } from '../../apps/web/src/server/store/index.ts';
import { Batches } from '../lib/batches.ts';
import { reply } from '../lib/worker.ts';

const [db = '', batchArg = '500', secondsArg = '3'] = process.argv.slice(2);
const store = await openStore(db.startsWith('postgres') ? db : `sqlite:${db}`, { now: Date.now });
const batches = new Batches(Number(batchArg));
const at = Date.now();
await store.hosts.hello(
  {
    type: 'hello',
    protocolVersion: 1,
    host: 'raw',
    collectorVersion: 'bench',
    kernel: 'bench',
    backends: [],
    capabilities: [],
    streamId: 'rawstream',
    lastSeq: 0,
  },
  at,
);
let seq = 0;
let events = 0;
const write = async (evs: Batch['events']) => {
  await store.writeBatch(
    'raw',
    'rawstream',
    { type: 'batch', seq: ++seq, sentAt: Date.now(), events: evs },
    Date.now(),
  );
  events += evs.length;
};
await write(batches.setup);
events = 0;
const t0 = performance.now();
const deadline = t0 + Number(secondsArg) * 1000;
for (let i = 0; performance.now() < deadline; i++) await write(batches.events(i));
const seconds = (performance.now() - t0) / 1000;
await store.close();
reply({ eventsPerS: events / seconds });
