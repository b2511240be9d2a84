import type { Gap } from '@ftpscope/shared';
import type { SpawnLines } from '../exec.ts';
import type { Exec } from '../host-monitor.types.ts';
import { ConntrackEvents } from './conntrack-events.ts';
import { listFtpEntries } from './conntrack-listing.ts';
import type { ConntrackRecord } from './conntrack-parse.ts';
import { NativeConntrackEvents } from './ctreader-events.ts';
import { ctreaderArgs, listWithReader } from './ctreader-listing.ts';
import type { CtReaderChoice } from './ctreader-locate.ts';
import type { ExpectRecord } from './expect-parse.ts';
import { whenSubscribed } from './netlink-subscribed.ts';

/** How long a resync waits for the event reader to subscribe before listing (nothing may fall between the two). */
const SUBSCRIBE_WAIT_MS = 5000;

export interface ConntrackReaderOptions {
  choice: CtReaderChoice;
  /** Both already wrapped for the host's network namespace. */
  spawn: SpawnLines;
  exec: Exec;
  netns: string | null;
  ftpPorts: number[];
  passiveRange: () => [number, number] | null;
  bufferBytes: number;
  onConntrack(rec: ConntrackRecord): void;
  onExpect(rec: ExpectRecord): void;
  onLoss(gap: Gap): void;
  onProblem(message: string): void;
  now(): number;
}

/** What one listing did, besides handing its records over. */
export interface ListingResult {
  problems: string[];
  unknown: number;
  examples: string[];
  /** The listing covers the data connections the events report, so one it lacks is over. */
  dataListed: boolean;
}

/** Conntrack events and listings of one host, from the native reader or from the `conntrack` tool. */
export interface ConntrackReader {
  /** `conntrack-native` or `conntrack-tool`, reported in the host's capabilities. */
  readonly capability: string;
  start(): void;
  stop(): void;
  /** Resolves true once events are subscribed (a listing taken next misses nothing), false on timeout. */
  subscribed(): Promise<boolean>;
  /** Lists the FTP-related entries, handing each to the callbacks. */
  list(
    onConntrack: (r: ConntrackRecord) => void,
    onExpect: (r: ExpectRecord) => void,
  ): Promise<ListingResult>;
  /** Event lines not understood so far. */
  readonly stats: { unknown: number; examples: string[] };
}

/** TCP states a data connection only passes through on its way to ESTABLISHED or to its close. */
const PASSING_STATES = new Set(['SYN_RECV', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'SYN_SENT2']);

/**
 * A data connection's (not a control connection's) event updating it to a passing state. The native reader
 * does not print these (see ctreader.c) and the tool's are dropped, so both sources feed the model the same:
 * NEW, ESTABLISHED, the close and DESTROY. Listings still show every state.
 */
export function passingDataUpdate(rec: ConntrackRecord, ftpPorts: readonly number[]): boolean {
  return (
    rec.event === 'UPDATE' &&
    rec.state !== null &&
    PASSING_STATES.has(rec.state) &&
    !ftpPorts.includes(rec.orig.dport)
  );
}

/** The native reader when `choice` has a path, else the `conntrack` tool. */
export function createConntrackReader(o: ConntrackReaderOptions): ConntrackReader {
  const handlers = {
    spawn: o.spawn,
    bufferBytes: o.bufferBytes,
    onConntrack: o.onConntrack,
    onExpect: o.onExpect,
    onLoss: o.onLoss,
    onProblem: o.onProblem,
    now: o.now,
  };
  const path = o.choice.path;
  if (path !== null) {
    const events = new NativeConntrackEvents({
      ...handlers,
      path,
      ftpPorts: o.ftpPorts,
      passiveRange: o.passiveRange,
    });
    return {
      capability: 'conntrack-native',
      start: () => events.start(),
      stop: () => events.stop(),
      subscribed: () => events.subscribed(),
      async list(onConntrack, onExpect) {
        const args = ctreaderArgs(o.ftpPorts, o.passiveRange());
        const r = await listWithReader(o.spawn, path, args, onConntrack, onExpect);
        return {
          problems: r.problems,
          unknown: r.unknown,
          examples: r.examples,
          dataListed: r.problems.length === 0,
        };
      },
      stats: events.stats,
    };
  }
  const events = new ConntrackEvents({
    ...handlers,
    onConntrack: (r) => {
      if (!passingDataUpdate(r, o.ftpPorts)) o.onConntrack(r);
    },
  });
  return {
    capability: 'conntrack-tool',
    start: () => events.start(),
    stop: () => events.stop(),
    // The tool does not say when it has subscribed: its netlink socket shows it (see netlink-subscribed.ts).
    subscribed: () => whenSubscribed(() => events.pids(), SUBSCRIBE_WAIT_MS),
    async list(onConntrack, onExpect) {
      const r = await listFtpEntries(o.exec, o.ftpPorts, o.netns);
      for (const c of r.conns) onConntrack(c);
      for (const e of r.expects) onExpect(e);
      return { problems: r.problems, unknown: r.unknown, examples: r.examples, dataListed: false };
    },
    stats: events.stats,
  };
}
