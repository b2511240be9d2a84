/**
 * Heap of the session model alone holding N control sessions (no kernel, no collector):
 * `node --expose-gc --import tsx bench/tools/model-heap.ts [N]` prints bytes per session after a full GC.
 */
import { SessionModel } from '../../apps/collector/src/model/sessions.ts';
import type { ConntrackRecord } from '../../apps/collector/src/sources/conntrack-parse.ts';

const n = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
gc();
const h0 = process.memoryUsage().heapUsed;
const model = new SessionModel({ host: 'h', ftpPorts: [21], passiveRange: () => null, emit: () => {} });
const now = Date.now();
for (let i = 0; i < n; i++) {
  const orig = {
    src: `198.18.0.${100 + Math.floor(i / 60_000)}`,
    dst: '198.18.1.2',
    sport: 1024 + (i % 60_000),
    dport: 21,
  };
  const rec: ConntrackRecord = {
    event: null,
    at: null,
    family: 'ipv4',
    proto: 'tcp',
    timeout: 3600,
    state: 'ESTABLISHED',
    orig,
    reply: { src: orig.dst, dst: orig.src, sport: 21, dport: orig.sport },
    unreplied: false,
    assured: true,
    helper: 'ftp',
    id: String(3_000_000_000 + i),
    bytes: null,
    master: null,
  };
  model.applyConntrack(rec, now);
}
gc();
const used = process.memoryUsage().heapUsed - h0;
console.log(`${n} sessions: ${(used / 1024 / 1024).toFixed(1)} MB heap, ${Math.round(used / n)} B/session`);
if (process.argv[3]) (await import('node:v8')).writeHeapSnapshot(process.argv[3]);
if (model.activeSessionIds().length !== n) throw new Error('model lost sessions');
