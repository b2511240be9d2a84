/**
 * CPU of the collector's JavaScript per FTP data connection, without the lab's noise: replays what
 * record-load.ts recorded through the pieces the host monitor wires (reader-line parsing, session model,
 * data-channel tracker, log parsing and attaching, batching with coalescing, JSON of each batch):
 *   pnpm tsx bench/tools/replay-model.ts REC_DIR [REPS]
 * The two recordings are interleaved in proportion (both follow the same listings at a steady rate): the reader's
 * lines in 10 ms reads, the log every 250 ms (a poll), each read its own task; batches every 200 ms, ticks once a
 * second of recorded time (REPLAY_IMMEDIATE=1: the tracker emits after each change). Prints the fastest and the median of REPS
 * runs (after one warm-up) in µs of CPU per data connection: on a shared VM the fastest is the steadier figure.
 * Run it in two checkouts on the same recording for an A/B.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CollectorEvent } from '@ftpscope/shared';
import { parseFtpLogLine } from '../../apps/collector/src/ftp-servers/vsftpd/log-parse.ts';
import { DataChannelTracker } from '../../apps/collector/src/model/data-channels.ts';
import { LogAttacher } from '../../apps/collector/src/model/log-attach.ts';
import { SessionModel } from '../../apps/collector/src/model/sessions.ts';
import { parseReaderLine } from '../../apps/collector/src/sources/ctreader-parse.ts';
import { Batcher } from '../../apps/collector/src/transport/batcher.ts';

const [dirArg, repsArg] = process.argv.slice(2);
if (!dirArg) {
  console.error('usage: pnpm tsx bench/tools/replay-model.ts REC_DIR [REPS]');
  process.exit(2);
}
const dir = resolve(dirArg);
const reader = readFileSync(join(dir, 'reader.txt'), 'utf8').split('\n').filter(Boolean);
const log = readFileSync(join(dir, 'vsftpd.log'), 'utf8').split('\n').filter(Boolean);
const reps = Number(repsArg ?? 15);
const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { passiveRange: [number, number] };
const times = reader.filter((l) => /^[CX]\t/.test(l)).map((l) => Number(l.split('\t', 3)[2]));
const first = times[0] ?? 0;
const span = (times.at(-1) ?? first) - first;
const dataConns = reader.filter((l) => l.startsWith('C\tNEW\t') && l.split('\t')[18] !== '-').length;
// Reader lines per 10 ms of recorded time (the native reader's gather), and the log lines that go with them,
// handed over every 25 chunks (the log follower's 250 ms poll).
const chunk = Math.max(1, Math.round((reader.length * 10) / Math.max(span, 1)));
const logPerChunk = (log.length * chunk) / reader.length;
const LOG_EVERY = 25;
/** Batches go every 200 ms under load (or at MAX_BATCH_EVENTS). */
const FLUSH_EVERY = 20;
/** REPLAY_IMMEDIATE=1: the tracker emits a session after each change, as before deferred emissions. */
const deferFlush = process.env.REPLAY_IMMEDIATE !== '1';
/** Lets the microtasks of one read run (the tracker's deferred session emissions), as the event loop does. */
const endOfTask = () => new Promise<void>((r) => setImmediate(r));

async function replay(): Promise<{ cpuUs: number; events: number; bytes: number }> {
  let events = 0;
  let bytes = 0;
  const batcher = new Batcher({
    onBatch: (b) => {
      bytes += JSON.stringify({ kind: 'batch', events: b }).length;
    },
    setTimer: () => null,
    clearTimer: () => {},
  });
  const passiveRange = (): [number, number] => meta.passiveRange;
  const model: SessionModel = new SessionModel({
    host: 'replay',
    ftpPorts: [21],
    passiveRange,
    emit: (e: CollectorEvent, st) => {
      tracker.observe(e, st);
      events++;
      batcher.push(e);
    },
    portOwner: (family, src, dst, dport) => tracker.portOwner(family, src, dst, dport),
  });
  const tracker: DataChannelTracker = new DataChannelTracker(model, passiveRange, deferFlush);
  const attacher = new LogAttacher(model, tracker);
  let now = first;
  let lastTick = first;
  let logAt = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < reader.length; i += chunk) {
    for (const line of reader.slice(i, i + chunk)) {
      const r = parseReaderLine(line);
      if (!r) continue;
      if (r.kind === 'ct') {
        now = r.rec.at ?? now;
        const added = model.sessionsAdded;
        model.applyConntrack(r.rec, now);
        if (model.sessionsAdded !== added) attacher.rebind();
      } else if (r.kind === 'exp') {
        now = r.rec.at ?? now;
        model.applyExpect(r.rec, now);
      }
    }
    await endOfTask();
    if ((i / chunk) % LOG_EVERY === LOG_EVERY - 1 || i + chunk >= reader.length) {
      const upTo = Math.round(((i + chunk) / chunk) * logPerChunk);
      const recs = log.slice(logAt, upTo).flatMap((l) => {
        const p = parseFtpLogLine(l);
        return Array.isArray(p) ? p : [];
      });
      logAt = upTo;
      if (recs.length > 0) attacher.apply(recs);
      await endOfTask();
    }
    if (now - lastTick >= 1000) {
      model.tick(now);
      tracker.tick(now);
      lastTick = now;
    }
    if ((i / chunk) % FLUSH_EVERY === FLUSH_EVERY - 1) batcher.flush();
  }
  batcher.flush();
  const c = process.cpuUsage(c0);
  return { cpuUs: c.user + c.system, events, bytes };
}

await replay(); // warm-up: JIT
const runs: Awaited<ReturnType<typeof replay>>[] = [];
for (let i = 0; i < reps; i++) runs.push(await replay());
const us = runs.map((r) => r.cpuUs / dataConns).sort((a, b) => a - b);
const last = runs.at(-1) as { events: number; bytes: number };
console.log(
  `${reader.length} reader lines, ${log.length} log lines, ${dataConns} data connections over ${(span / 1000).toFixed(1)} s; ` +
    `${(last.events / dataConns).toFixed(1)} events and ${(last.bytes / dataConns).toFixed(0)} bytes of batches per connection`,
);
console.log(
  `CPU per data connection: fastest ${us[0]?.toFixed(1)} µs, median ${us[Math.floor(us.length / 2)]?.toFixed(1)} µs (slowest ${us.at(-1)?.toFixed(1)}), ${reps} runs`,
);
