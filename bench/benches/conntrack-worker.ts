/**
 * Worker of bench 1, run in its own process so CPU of children and RSS are this measurement's alone.
 * argv: NETNS REPS RUNS. Prints { baselineMs[], collectorMs[], rssMb, rssStartMb, heapMb, sessions, reader,
 * forgetMs }.
 */

import { realExec, realSpawnLines, spawnWithNetns, withNetns } from '../../apps/collector/src/exec.ts';
import { SessionModel } from '../../apps/collector/src/model/sessions.ts';
import type { ConntrackRecord } from '../../apps/collector/src/sources/conntrack-parse.ts';
import { createConntrackReader } from '../../apps/collector/src/sources/conntrack-reader.ts';
import { locateCtReader } from '../../apps/collector/src/sources/ctreader-locate.ts';
import { childrenCpuMs, selfCpuMs } from '../lib/cpu.ts';
import { reply } from '../lib/worker.ts';

const [netns = '', repsArg = '1', runsArg = '3'] = process.argv.slice(2);
const reps = Number(repsArg);
const exec = withNetns(realExec, netns);
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const mb = (bytes: number) => bytes / 1024 / 1024;

/** The reader the collector would use here (the native one when built), listing as a resync does. */
const choice = await locateCtReader(process.env.FTPSCOPE_CTREADER ?? null);
const reader = createConntrackReader({
  choice,
  spawn: spawnWithNetns(realSpawnLines, netns),
  exec,
  netns,
  ftpPorts: [21],
  passiveRange: () => null,
  bufferBytes: 1 << 20,
  onConntrack: () => {},
  onExpect: () => {},
  onLoss: () => {},
  onProblem: () => {},
  now: Date.now,
});

/** The collector's first synchronisation: its filtered listing, streamed into a fresh model (`keep`: its records). */
async function listAndModel(keep?: ConntrackRecord[]): Promise<SessionModel> {
  let events = 0;
  const model = new SessionModel({
    host: 'bench',
    ftpPorts: [21],
    passiveRange: () => null,
    emit: () => events++,
  });
  const now = Date.now();
  model.beginResync(now);
  const listing = await reader.list(
    (r) => {
      model.resyncConntrack(r, now);
      keep?.push(r);
    },
    (r) => model.resyncExpect(r, now),
  );
  if (listing.problems.length) throw new Error(listing.problems.join('; '));
  model.endResync(now, listing.dataListed);
  return model;
}

/** CPU ms per repetition of fn: our own CPU (when counted) plus that of the tools it ran. */
async function cpuPerRep(fn: () => Promise<unknown>, countSelf: boolean): Promise<number> {
  const c0 = childrenCpuMs();
  const s0 = selfCpuMs();
  for (let i = 0; i < reps; i++) await fn();
  const self = countSelf ? selfCpuMs() - s0 : 0;
  return (childrenCpuMs() - c0 + self) / reps;
}

gc();
const rssStartMb = mb(process.memoryUsage().rss);
const heap0 = process.memoryUsage().heapUsed;
const model = await listAndModel();
gc();
const rssMb = mb(process.memoryUsage().rss);
const heapMb = mb(process.memoryUsage().heapUsed - heap0);
const sessions = model.activeSessionIds().length;

const baselineMs: number[] = [];
const collectorMs: number[] = [];
for (let r = 0; r < Number(runsArg); r++) {
  baselineMs.push(await cpuPerRep(() => exec('conntrack', ['-L'], { timeoutMs: 60_000 }), false));
  collectorMs.push(await cpuPerRep(listAndModel, true));
  gc();
}

/**
 * Every listed session ends at once (a table flush, a NAT gateway's clients gone) and the model forgets them all
 * in the tick after their minute of lingering: CPU of that tick. (The sessions come from two client addresses.)
 */
async function forgetAll(): Promise<number> {
  const records: ConntrackRecord[] = [];
  const m = await listAndModel(records);
  const now = Date.now();
  for (const r of records) m.applyConntrack({ ...r, event: 'DESTROY', state: null }, now);
  const c0 = selfCpuMs();
  m.tick(now + 61_000);
  const ms = selfCpuMs() - c0;
  if ([...m.allSessions()].length > 0) throw new Error('sessions left after forgetting');
  return ms;
}
const forgetMs = await forgetAll();

reply({ baselineMs, collectorMs, rssMb, rssStartMb, heapMb, sessions, reader: reader.capability, forgetMs });
