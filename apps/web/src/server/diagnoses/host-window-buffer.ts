import {
  type Backend,
  type CollectorEvent,
  type DataConnection,
  EVENT_SEMANTICS,
  type Expectation,
  type FtpSession,
  type Gap,
  type RuleDef,
  rulesetChangeId,
} from '@ftpscope/shared';
import { DEFAULT_PRIVATE_NETS } from './private-nets.ts';
import { HISTORY_MS, RECENT_MS } from './thresholds.ts';
import type { CounterSample, Drop, HostWindow, RulesetChange } from './types.ts';

/** Activity older than this is forgotten (twice the window the rules look at). */
const RETAIN_MS = 2 * RECENT_MS;
/** An expectation or connection still open after this long has lost its end event; forget it. */
const STALE_OPEN_MS = 10 * 60_000;
/** Largest number of objects of one kind kept per host; the oldest go first. */
const MAX_ITEMS = 20_000;
const MAX_SAMPLES = 100_000;

function capMap<T>(map: Map<string, T>): void {
  for (const key of map.keys()) {
    if (map.size <= MAX_ITEMS) break;
    map.delete(key);
  }
}

function capArray<T>(list: T[], max: number): void {
  if (list.length > max) list.splice(0, list.length - max);
}

/**
 * The recent state of one host, built from the collector's events as the hub ingests them, so the
 * engine needs no database queries. Bounded in time (RETAIN_MS / HISTORY_MS) and in size.
 */
export class HostWindowBuffer {
  readonly host: string;
  backends: Backend[] = [];
  readonly #sessions = new Map<string, FtpSession>();
  readonly #expectations = new Map<string, Expectation>();
  readonly #data = new Map<string, DataConnection>();
  #rules: RuleDef[] = [];
  #rulesAt = Number.NEGATIVE_INFINITY;
  #ruleById = new Map<string, RuleDef>();
  readonly #samples: CounterSample[] = [];
  #countersSince: number | null = null;
  readonly #changes: RulesetChange[] = [];
  readonly #drops: Drop[] = [];
  #health: HostWindow['health'] = [];
  #settings: HostWindow['settings'] = null;
  #firewall: HostWindow['firewall'] = null;
  readonly #gaps: Gap[] = [];

  readonly #privateNets: readonly string[];

  constructor(host: string, privateNets: readonly string[] = DEFAULT_PRIVATE_NETS) {
    this.host = host;
    this.#privateNets = privateNets;
  }

  /** Takes one ingested event into the window. */
  apply(event: CollectorEvent): void {
    switch (event.kind) {
      case 'session':
        this.#sessions.set(EVENT_SEMANTICS.session.id(event), event.session);
        capMap(this.#sessions);
        break;
      case 'expectation':
        this.#expectations.set(EVENT_SEMANTICS.expectation.id(event), event.expectation);
        capMap(this.#expectations);
        break;
      case 'data':
        this.#data.set(EVENT_SEMANTICS.data.id(event), event.data);
        capMap(this.#data);
        break;
      case 'ruleset':
        // An append: every diff is a change, the current rules are those of the newest ruleset.
        if (event.at >= this.#rulesAt) {
          this.#rulesAt = event.at;
          this.#rules = event.rules;
          this.#ruleById = new Map(event.rules.map((r) => [r.id, r]));
        }
        if (event.diff) this.#changes.push({ id: rulesetChangeId(event), at: event.at, diff: event.diff });
        break;
      case 'counters':
        this.#countersSince ??= event.at - event.intervalMs;
        for (const c of event.counters) {
          const rule = this.#ruleById.get(c.ruleId);
          // Only drops matter; a policy's packets count while it is DROP, not while it was ACCEPT.
          if (c.dPackets > 0 && rule && (rule.verdict === 'drop' || rule.verdict === 'reject')) {
            this.#samples.push({ at: event.at, ruleId: c.ruleId, dPackets: c.dPackets });
          }
        }
        capArray(this.#samples, MAX_SAMPLES);
        break;
      case 'drop': {
        const d = event.drop;
        this.#drops.push({ ...d, id: `${d.at}:${d.src}:${d.sport ?? ''}:${d.dst}:${d.dport ?? ''}` });
        capArray(this.#drops, MAX_ITEMS);
        break;
      }
      case 'health':
        this.#health.push(event.health);
        capArray(this.#health, 2000);
        break;
      case 'settings':
        this.#settings = event.settings;
        break;
      case 'firewall':
        this.#firewall = event.firewall;
        break;
      case 'sync': {
        const alive = new Set(event.activeSessionIds);
        for (const [id, s] of this.#sessions) {
          if (s.endedAt === null && !alive.has(id)) this.#sessions.set(id, { ...s, endedAt: event.at });
        }
        break;
      }
      case 'gap':
        this.#gaps.push(event.gap);
        capArray(this.#gaps, 1000);
        break;
    }
  }

  /** Forgets what is older than the rules look at. */
  prune(now: number): void {
    const retain = now - RETAIN_MS;
    const stale = now - STALE_OPEN_MS;
    for (const [id, s] of this.#sessions)
      if (s.endedAt !== null && s.endedAt < retain) this.#sessions.delete(id);
    for (const [id, e] of this.#expectations) {
      const open = e.fulfilledAt === null && e.expiredAt === null;
      if (e.createdAt < (open ? stale : retain)) this.#expectations.delete(id);
    }
    for (const [id, c] of this.#data) if (c.startedAt < retain) this.#data.delete(id);
    const history = now - HISTORY_MS;
    dropWhile(this.#samples, (s) => s.at < history);
    dropWhile(this.#changes, (c) => c.at < history);
    dropWhile(this.#drops, (d) => d.at < retain);
    // Gaps arrive in batch order, not always time order (spool gaps come first): filter, not dropWhile.
    const gaps = this.#gaps.filter((g) => g.at >= stale);
    this.#gaps.splice(0, this.#gaps.length, ...gaps);
    // Keep one sample from before the window as the baseline for `conntrack -S` deltas.
    const firstRecent = this.#health.findIndex((h) => h.at >= now - RECENT_MS);
    if (firstRecent > 1) this.#health.splice(0, firstRecent - 1);
  }

  /** The window the rules evaluate (prunes first). */
  snapshot(now: number): HostWindow {
    this.prune(now);
    return {
      host: this.host,
      backends: this.backends,
      sessions: [...this.#sessions.values()],
      expectations: [...this.#expectations.values()],
      dataConnections: [...this.#data.values()],
      rules: this.#rules,
      counterSamples: [...this.#samples],
      countersSince: this.#countersSince,
      rulesetChanges: [...this.#changes],
      drops: [...this.#drops],
      health: [...this.#health],
      settings: this.#settings,
      firewall: this.#firewall,
      gaps: [...this.#gaps],
      privateNets: this.#privateNets,
    };
  }
}

function dropWhile<T>(list: T[], pred: (x: T) => boolean): void {
  let n = 0;
  while (n < list.length && pred(list[n] as T)) n++;
  if (n > 0) list.splice(0, n);
}
