import type {
  FirewallInfo,
  FtpServerSettings,
  GapView,
  LiveEvent,
  LiveEvents,
  NetfilterHealth,
} from '@ftpscope/shared';
import { EVENT_SEMANTICS } from '@ftpscope/shared/event-semantics';
import { SvelteMap } from 'svelte/reactivity';
import type { ApiClient } from './api-client.ts';
import { BatchedMap } from './batched-map.svelte.ts';
import {
  type DataTally,
  dataTally,
  type ExpectationRow,
  expectationRowFromEvent,
  expectationRowsFromView,
  type RuleRow,
  rowFromEvent,
  rowFromView,
  ruleRowFromDef,
  ruleRowFromView,
  type SessionRow,
  tally,
} from './rows.ts';

/** How long an ended session or a settled expectation stays visible before it is pruned. */
export const LINGER_MS = 60_000;
/** Points kept per rule for its sparkline (one per counter poll). */
export const HISTORY_POINTS = 60;
/** Most sessions the host view asks the hub for. */
export const SESSION_LIMIT = 10_000;
/**
 * Newest sessions fetched first: the virtualised table shows ~16 rows, so the first screen needs no more, and
 * the whole list (up to 4 MB of JSON at SESSION_LIMIT) follows without holding it up.
 */
export const FIRST_PAGE = 100;
/** Ended sessions and settled expectations are looked for at most this often (a full pass over 10,000 rows). */
export const PRUNE_EVERY_MS = 1000;

/**
 * Live state of one host: REST snapshot, then live events applied on top. Sessions are a BatchedMap (readers
 * re-run once per applied frame, whatever the number of sessions that changed); expectations and rules, far
 * fewer, are SvelteMaps so a change re-renders only what shows it.
 */
export class HostLiveStore {
  readonly host: string;
  sessions = new BatchedMap<string, SessionRow>();
  expectations = new SvelteMap<string, ExpectationRow>();
  rules = new SvelteMap<string, RuleRow>();
  health = $state<NetfilterHealth | null>(null);
  /** The collector's effective counter poll interval (ms), from its last counters event; null until one came. */
  pollIntervalMs = $state<number | null>(null);
  /** The FTP server's settings as the collector last read them (which server, its config, its log). */
  settings = $state<FtpServerSettings | null>(null);
  firewall = $state<FirewallInfo | null>(null);
  gaps = $state<GapView[]>([]);
  connected = $state<boolean | null>(null);
  loading = $state(true);
  /** True until the rules, gaps and health of the snapshot arrived (the sessions show before them). */
  loadingDetails = $state(true);
  /** True while only the first page of sessions is shown and the rest is on its way. */
  partial = $state(false);
  error = $state<string | null>(null);

  #api: ApiClient;
  #data = new Map<string, Map<string, DataTally>>();
  #now: () => number;
  #loadSeq = 0;
  #rulesAt = Number.NEGATIVE_INFINITY;
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(host: string, api: ApiClient, now: () => number = Date.now) {
    this.host = host;
    this.#api = api;
    this.#now = now;
  }

  /**
   * Fetch the current sessions, rules and health (again after a live reconnect). The first page of sessions shows
   * as soon as it arrives, without waiting for the rest of the snapshot; then the whole list replaces it.
   */
  async load(): Promise<void> {
    const seq = ++this.#loadSeq;
    this.loading = true;
    const since = new Date(this.#now() - 24 * 3_600_000).toISOString();
    const details = Promise.all([
      this.#api.rules(this.host),
      this.#api.gaps({ host: this.host, from: since, limit: 20 }),
      this.#api.hostHealth(this.host),
    ]);
    // Handled below; without this a failure while the sessions load would be an unhandled rejection.
    details.catch(() => {});
    try {
      const sessions = await this.#api.sessions(this.host, { active: true, limit: FIRST_PAGE });
      if (seq !== this.#loadSeq) return;
      this.#replaceSessions(sessions);
      this.error = null;
      this.loading = false;
      this.partial = sessions.length >= FIRST_PAGE;
      const [rules, gaps, stored] = await details;
      if (seq !== this.#loadSeq) return;
      // The collector re-sends unchanged health only once a minute; a live sample that came first is newer.
      if (stored.health) {
        const at = Date.parse(stored.health.at);
        if (!this.health || this.health.at < at) this.health = { ...stored.health, at };
      }
      if (stored.settings && !this.settings) {
        const { updatedAt: _, ...settings } = stored.settings;
        this.settings = settings;
      }
      // A live detection that arrived first is as new as the stored one or newer.
      if (stored.firewall && (!this.firewall || this.firewall.at < stored.firewall.at))
        this.firewall = stored.firewall;
      this.gaps = gaps.slice(-20).reverse();
      const old = new Map(this.rules);
      this.rules.clear();
      for (const r of rules) {
        const row = ruleRowFromView(r);
        row.history = old.get(r.id)?.history ?? [];
        this.rules.set(r.id, row);
      }
      this.loadingDetails = false;
      if (!this.partial) return;
      const all = await this.#api.sessions(this.host, { active: true, limit: SESSION_LIMIT });
      if (seq === this.#loadSeq) this.#replaceSessions(all);
    } catch (err) {
      if (seq === this.#loadSeq) this.error = (err as Error).message;
    } finally {
      if (seq === this.#loadSeq) {
        this.loading = false;
        this.loadingDetails = false;
        this.partial = false;
      }
    }
  }

  #replaceSessions(views: Awaited<ReturnType<ApiClient['sessions']>>): void {
    this.sessions.clear();
    this.expectations.clear();
    this.#data.clear();
    for (const v of views) {
      this.#data.set(v.id, new Map(v.dataConnections.map((d) => [d.id, dataTally(d)])));
      this.sessions.set(v.id, rowFromView(v));
      for (const e of expectationRowsFromView(v)) this.expectations.set(e.id, e);
    }
    this.sessions.commit();
  }

  /** Apply one animation frame's worth of live messages. */
  applyBatch(batch: LiveEvents[]): void {
    const receivedAt = this.#now();
    for (const msg of batch) {
      if (msg.host !== this.host) continue;
      for (const ev of msg.events) this.#apply(ev, receivedAt);
    }
    if (receivedAt - this.#prunedAt >= PRUNE_EVERY_MS) this.prune(receivedAt);
    this.sessions.commit();
  }

  #apply(ev: LiveEvent, receivedAt: number): void {
    switch (ev.kind) {
      case 'session': {
        const data = this.#data.get(ev.session.id);
        this.sessions.set(ev.session.id, rowFromEvent(ev.session, tally(data?.values() ?? [])));
        break;
      }
      case 'data': {
        const sid = ev.data.sessionId;
        if (sid === null) break;
        let data = this.#data.get(sid);
        if (!data) {
          data = new Map();
          this.#data.set(sid, data);
        }
        data.set(ev.data.id, dataTally(ev.data));
        const row = this.sessions.get(sid);
        if (row) this.sessions.set(sid, { ...row, ...tally(data.values()) });
        break;
      }
      case 'expectation':
        this.expectations.set(ev.expectation.id, expectationRowFromEvent(ev.expectation, receivedAt));
        break;
      case 'sync': {
        const active = new Set(ev.activeSessionIds);
        for (const [id, row] of this.sessions) {
          if (row.endedAt === null && !active.has(id)) {
            this.sessions.set(id, { ...row, endedAt: ev.at, state: 'CLOSED' });
          }
        }
        break;
      }
      case 'counters': {
        this.pollIntervalMs = ev.intervalMs;
        const seconds = ev.intervalMs / 1000;
        const byId = new Map(ev.counters.map((c) => [c.ruleId, c]));
        for (const [id, row] of this.rules) {
          const c = byId.get(id);
          const rate = c ? c.dPackets / seconds : 0;
          const history = [...row.history, rate].slice(-HISTORY_POINTS);
          this.rules.set(
            id,
            c ? { ...row, packets: c.packets, bytes: c.bytes, rate, history } : { ...row, rate, history },
          );
        }
        break;
      }
      case 'ruleset': {
        // An append: the current rules are those of the newest ruleset (a replayed spool may send an older one).
        if (EVENT_SEMANTICS.ruleset.at(ev) < this.#rulesAt) break;
        this.#rulesAt = ev.at;
        const old = new Map(this.rules);
        this.rules.clear();
        for (const d of ev.rules) this.rules.set(d.id, ruleRowFromDef(d, old.get(d.id)));
        break;
      }
      case 'health':
        // An append (EVENT_SEMANTICS): the current sample is the newest by time, not the last to arrive.
        if (!this.health || EVENT_SEMANTICS.health.at(ev) >= this.health.at) this.health = ev.health;
        break;
      case 'settings':
        this.settings = ev.settings;
        break;
      case 'firewall':
        this.firewall = ev.firewall;
        break;
      case 'gap':
        this.gaps = [
          {
            id: -receivedAt,
            host: this.host,
            at: new Date(ev.gap.at).toISOString(),
            source: ev.gap.source,
            reason: ev.gap.reason,
            fromSeq: ev.gap.fromSeq,
            toSeq: ev.gap.toSeq,
          },
          ...this.gaps,
        ].slice(0, 20);
        break;
      case 'host':
        this.connected = ev.connected;
        break;
      default:
        break;
    }
  }

  /** Forget sessions and expectations that ended more than LINGER_MS ago. */
  prune(now: number): void {
    this.#prunedAt = now;
    for (const [id, row] of this.sessions) {
      if (row.endedAt !== null && now - row.endedAt > LINGER_MS) {
        this.sessions.delete(id);
        this.#data.delete(id);
      }
    }
    for (const [id, e] of this.expectations) {
      const settled = e.fulfilledAt ?? e.expiredAt ?? (e.deadline < now ? e.deadline : null);
      if (settled !== null && now - settled > LINGER_MS) this.expectations.delete(id);
    }
    this.sessions.commit();
  }
}
