import type { DiagnosisView, HostSummary, LiveEvents } from '@ftpscope/shared';
import { SvelteMap } from 'svelte/reactivity';
import type { ApiClient } from './api-client.ts';
import { diagnosisToView } from './rows.ts';

/** Bigger is worse: disconnected, diagnosed, dropping. Hosts in trouble sort first. */
export function troubleScore(h: HostSummary, activeDiagnoses: number): number {
  return (h.connected ? 0 : 1000) + activeDiagnoses * 100 + (h.dropsPerMinute > 0 ? 10 : 0);
}

/**
 * Every host's summary (with its 30-minute drops trend for the sparkline) and the active diagnoses: loaded from
 * REST, refreshed every few seconds (which slides the trend and fills its current minute) and patched by live host
 * and diagnosis events in between.
 */
export class FleetStore {
  hosts = new SvelteMap<string, HostSummary>();
  diagnoses = new SvelteMap<string, DiagnosisView>();
  loaded = $state(false);
  error = $state<string | null>(null);
  diagnosesError = $state<string | null>(null);

  #api: ApiClient;
  #timer: ReturnType<typeof setInterval> | null = null;
  #loading: Promise<void> | null = null;

  constructor(api: ApiClient) {
    this.#api = api;
  }

  /** Hosts, worst first, then by name. */
  get sorted(): HostSummary[] {
    return [...this.hosts.values()].sort(
      (a, b) =>
        troubleScore(b, this.activeFor(b.name)) - troubleScore(a, this.activeFor(a.name)) ||
        a.name.localeCompare(b.name),
    );
  }

  /** Active diagnoses of one host (live count, falling back to the REST summary). */
  activeFor(host: string): number {
    if (this.diagnosesError) return this.hosts.get(host)?.activeDiagnoses ?? 0;
    let n = 0;
    for (const d of this.diagnoses.values()) if (d.host === host && d.resolvedAt === null) n++;
    return n;
  }

  /** Poll every `everyMs` while the app runs (a reconnect also calls load()). */
  start(everyMs = 5000): void {
    void this.load();
    this.#timer ??= setInterval(() => void this.load(), everyMs);
  }

  /** Stop polling. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Fetch hosts and active diagnoses; concurrent calls share one request. */
  load(): Promise<void> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = null;
    });
    return this.#loading;
  }

  async #load(): Promise<void> {
    const [diagnoses] = await Promise.allSettled([this.#api.diagnoses({ active: true })]);
    if (diagnoses.status === 'fulfilled') {
      this.diagnoses.clear();
      for (const d of diagnoses.value) this.diagnoses.set(d.id, d);
      this.diagnosesError = null;
    } else {
      this.diagnosesError = (diagnoses.reason as Error).message;
    }
    try {
      const hosts = await this.#api.hosts();
      const seen = new Set<string>();
      for (const h of hosts) {
        seen.add(h.name);
        this.hosts.set(h.name, h);
      }
      for (const name of this.hosts.keys()) if (!seen.has(name)) this.hosts.delete(name);
      this.error = null;
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.loaded = true;
    }
  }

  /** Live: connection changes and diagnoses show at once; unknown hosts trigger a reload. */
  applyBatch(batch: LiveEvents[]): void {
    let unknown = false;
    for (const msg of batch) {
      const host = this.hosts.get(msg.host);
      if (!host) unknown = true;
      for (const ev of msg.events) {
        if (ev.kind === 'host' && host) {
          this.hosts.set(msg.host, { ...host, connected: ev.connected });
        } else if (ev.kind === 'diagnosis') {
          const view = diagnosisToView(ev.diagnosis);
          if (view.resolvedAt === null) this.diagnoses.set(view.id, view);
          else this.diagnoses.delete(view.id);
        }
      }
    }
    if (unknown) void this.load();
  }
}
