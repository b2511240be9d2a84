import type { LiveEvent } from '@ftpscope/shared';
import type { HubEvents } from '../ingest/hub-events.ts';
import type { LiveClient } from './live-client.ts';

/**
 * A session event without its dialogue: live views never show it (the Session view asks the REST API), so up to
 * 50 lines per session update stay off every browser's wire.
 */
export function withoutDialogue(e: LiveEvent): LiveEvent {
  if (e.kind !== 'session' || e.session.dialogue === undefined) return e;
  const { dialogue: _lines, dialogueOmitted: _omitted, ...session } = e.session;
  return { ...e, session };
}

/** Fans committed hub events out to every browser that follows the host. */
export class LiveHub {
  readonly clients = new Set<LiveClient>();

  constructor(events: HubEvents) {
    events.on('batch', (host, batch) => this.publish(host, batch));
    events.on('host', (host, connected, at) => this.publish(host, [{ kind: 'host', connected, at }]));
    events.on('diagnosis', (d) => this.publish(d.host, [{ kind: 'diagnosis', diagnosis: d }]));
    events.on('trace', (host, trace) => this.publish(host, [{ kind: 'trace', trace }]));
  }

  add(client: LiveClient): void {
    this.clients.add(client);
  }

  remove(client: LiveClient): void {
    this.clients.delete(client);
  }

  /** Every host a browser here follows ('*' when one follows all). */
  following(): '*' | string[] {
    const hosts = new Set<string>();
    for (const c of this.clients) {
      const f = c.following;
      if (f === '*') return '*';
      if (f) for (const h of f) hosts.add(h);
    }
    return [...hosts];
  }

  /** True when a browser here follows the host. */
  follows(host: string): boolean {
    for (const c of this.clients) if (c.follows(host)) return true;
    return false;
  }

  publish(host: string, events: LiveEvent[]): void {
    // This hub's batches and those other hubs committed (PostgreSQL's feed) both pass here.
    const lean = events.map(withoutDialogue);
    for (const c of this.clients) c.enqueue(host, lean);
  }
}
