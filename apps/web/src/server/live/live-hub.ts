import type { LiveEvent } from '@ftpscope/shared';
import type { HubEvents } from '../ingest/hub-events.ts';
import type { LiveClient } from './live-client.ts';

/** Fans committed hub events out to every browser that follows the host. */
export class LiveHub {
  readonly clients = new Set<LiveClient>();

  constructor(events: HubEvents) {
    events.on('batch', (host, batch) => this.publish(host, batch));
    events.on('host', (host, connected, at) => this.publish(host, [{ kind: 'host', connected, at }]));
    events.on('diagnosis', (d) => this.publish(d.host, [{ kind: 'diagnosis', diagnosis: d }]));
  }

  add(client: LiveClient): void {
    this.clients.add(client);
  }

  remove(client: LiveClient): void {
    this.clients.delete(client);
  }

  publish(host: string, events: LiveEvent[]): void {
    for (const c of this.clients) c.enqueue(host, events);
  }
}
