import { type CollectorEvent, MAX_BATCH_EVENTS, replaceKey } from '@ftpscope/shared';

/**
 * Longest an event waits before its batch is flushed (ms): how long a change that is not urgent may wait (see
 * Batcher.push), and the spacing of batches under load.
 */
export const FLUSH_MS = 200;
/** How long the first event of a quiet period waits for the ones that come with it (a login's come within ms). */
export const QUIET_MS = 25;
/** Shortest spacing of small batches (ms): a trickle of events costs the hub at most 20 frames/s. */
export const SPACING_MS = 50;
/** A batch this large means load: the next one waits the full FLUSH_MS, so load does not multiply batches. */
export const BUSY_EVENTS = 200;

export interface BatcherOptions {
  /** Receives each batch's events, in arrival order (coalesced). */
  onBatch: (events: CollectorEvent[]) => void;
  flushMs?: number;
  maxEvents?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  now?: () => number;
}

/**
 * Key of events that carry the full state of one object or host (EVENT_SEMANTICS): a later one replaces an
 * earlier one in the same batch. Appends (counters, drops, gaps, health samples, rulesets with their diff, sync)
 * are never coalesced.
 */
export function coalesceKey(e: CollectorEvent): string | null {
  return replaceKey(e);
}

/**
 * Collects events and hands them over as one batch at most `flushMs` after the first one arrived, or at
 * once when `maxEvents` are waiting. After a quiet period a batch goes QUIET_MS after its first event
 * (low latency for the live view); small batches are kept SPACING_MS apart, and after a large one
 * (BUSY_EVENTS) the next waits `flushMs`, as many events per batch as before under load. A coalesced
 * event keeps the slot of its first occurrence, so an object still appears before the events that refer
 * to it (a session before its data connections). Events pushed as not urgent (changes of objects already sent)
 * only make sure a batch goes within `flushMs`; an urgent one brings it forward: under a steady trickle of FTP
 * sessions the batches follow the new sessions, not each change of the ones already shown.
 */
export class Batcher {
  private readonly onBatch: (events: CollectorEvent[]) => void;
  private readonly flushMs: number;
  private readonly maxEvents: number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly now: () => number;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private lastSize = 0;
  private events: CollectorEvent[] = [];
  private slots = new Map<string, number>();
  private timer: unknown = null;
  /** When the pending timer fires. */
  private dueAt = 0;
  private stopped = false;

  constructor(opts: BatcherOptions) {
    this.onBatch = opts.onBatch;
    this.flushMs = opts.flushMs ?? FLUSH_MS;
    this.maxEvents = opts.maxEvents ?? MAX_BATCH_EVENTS;
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
    this.now = opts.now ?? Date.now;
  }

  /** Events waiting for the next flush. */
  get pending(): number {
    return this.events.length;
  }

  /** Adds one event (bound, so it can be passed as a monitor's emit); `urgent` false: it may wait up to flushMs. */
  push = (event: CollectorEvent, urgent = true): void => {
    if (this.stopped) return;
    const key = coalesceKey(event);
    const slot = key === null ? undefined : this.slots.get(key);
    if (slot !== undefined) this.events[slot] = event;
    else {
      if (key !== null) this.slots.set(key, this.events.length);
      this.events.push(event);
      if (this.events.length >= this.maxEvents) {
        this.flush();
        return;
      }
    }
    this.schedule(urgent ? this.delay() : this.flushMs);
  };

  /** Makes the batch go within `ms` (a timer already due sooner stays). */
  private schedule(ms: number): void {
    const due = this.now() + ms;
    if (this.timer !== null) {
      if (this.dueAt <= due) return;
      this.clearTimer(this.timer);
    }
    this.dueAt = due;
    this.timer = this.setTimer(() => this.flush(), ms);
  }

  /** How long the batch just started may wait: QUIET_MS, or until the spacing after the last batch is over. */
  private delay(): number {
    const spacing = this.lastSize >= BUSY_EVENTS ? this.flushMs : Math.min(SPACING_MS, this.flushMs);
    const wait = spacing - (this.now() - this.lastFlushAt);
    return Math.min(this.flushMs, Math.max(Math.min(QUIET_MS, this.flushMs), wait));
  }

  /** Hands over what is waiting now (nothing if empty). */
  flush(): void {
    if (this.timer !== null) {
      this.clearTimer(this.timer);
      this.timer = null;
    }
    if (this.events.length === 0) return;
    const events = this.events;
    this.lastFlushAt = this.now();
    this.lastSize = events.length;
    this.events = [];
    this.slots = new Map();
    this.onBatch(events);
  }

  /** Flushes what is left and ignores later events. */
  stop(): void {
    this.flush();
    this.stopped = true;
  }
}
