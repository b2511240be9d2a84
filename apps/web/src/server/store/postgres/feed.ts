import type { CollectorEvent } from '@ftpscope/shared';
import type pg from 'pg';
import type { Feed, FeedSubscriber, RemoteChange, StoreLog } from '../store.ts';
import { createClient } from './connect.ts';
import { toDiagnosis } from './diagnoses.ts';
import { hubAlive } from './hubs.ts';

/** The channel every hub of a database listens on. */
export const CHANNEL = 'ftpscope_changes';

/** A notification: which hub (o) changed what, by key only: batch (host, stream, seq), host, diagnosis id. */
export type Note =
  | { o: string; k: 'b'; h: string; s: string; q: number }
  | { o: string; k: 'h'; h: string }
  | { o: string; k: 'd'; id: string };

/** Sends a notification; inside a transaction it is delivered when (and only if) that commits. */
export async function notify(client: pg.ClientBase | pg.Pool, note: Note): Promise<void> {
  await client.query({
    name: 'ftpscope_notify',
    text: 'SELECT pg_notify($1, $2)',
    values: [CHANNEL, JSON.stringify(note)],
  });
}

/**
 * Changes committed by the other hubs: LISTEN on one connection of its own; each notification carries keys
 * and the rows are read back from the database, in the order the notifications came. Reconnects by itself
 * (what was committed while it was away only misses the live view; it is all stored).
 */
export class PgFeed implements Feed {
  readonly #url: string;
  readonly #pool: pg.Pool;
  readonly #hubId: string;
  readonly #now: () => number;
  readonly #log: StoreLog;
  readonly #subscribers: FeedSubscriber[] = [];
  #client: pg.Client | null = null;
  #chain: Promise<void> = Promise.resolve();
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Set while the listening connection is lost (said once, not at every retry). */
  #lost = false;

  constructor(url: string, pool: pg.Pool, hubId: string, now: () => number, log: StoreLog) {
    this.#url = url;
    this.#pool = pool;
    this.#hubId = hubId;
    this.#now = now;
    this.#log = log;
  }

  subscribe(subscriber: FeedSubscriber): void {
    this.#subscribers.push(subscriber);
  }

  /** The hosts this hub's browsers follow, for the heartbeat ('*' for all; null: none). */
  following(): '*' | string[] | null {
    const hosts = new Set<string>();
    for (const s of this.#subscribers) {
      const f = s.following();
      if (f === '*') return '*';
      for (const h of f) hosts.add(h);
    }
    return hosts.size > 0 ? [...hosts] : null;
  }

  /** Connects and listens; resolves once listening (or after the first failure, then retries in the background). */
  async start(): Promise<void> {
    if (this.#stopped) return;
    const client = createClient(this.#url);
    this.#client = client;
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL || n.payload === undefined) return;
      const payload = n.payload;
      this.#chain = this.#chain
        .then(() => this.#handle(payload))
        .catch((err: unknown) => this.#log.warn({ err: String(err) }, 'live feed: could not read a change'));
    });
    const lost = (err?: Error) => {
      if (this.#client !== client || this.#stopped) return;
      this.#client = null;
      client.end().catch(() => undefined);
      if (!this.#lost)
        this.#log.warn({ err: err?.message }, 'live feed from the other hubs lost; reconnecting');
      this.#lost = true;
      this.#retry = setTimeout(() => void this.start(), 1000);
      this.#retry.unref();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      if (this.#lost) this.#log.info({}, 'live feed from the other hubs back');
      this.#lost = false;
    } catch (err) {
      lost(err as Error);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    const c = this.#client;
    this.#client = null;
    await c?.end().catch(() => undefined);
  }

  async #handle(payload: string): Promise<void> {
    const note = JSON.parse(payload) as Note;
    if (note.o === this.#hubId || this.#subscribers.length === 0) return;
    // A batch nobody here follows is not read at all (the notification costs nothing then).
    if (note.k === 'b' && !this.#subscribers.some((s) => s.follows(note.h))) return;
    const change = await this.#read(note);
    if (change) for (const s of this.#subscribers) s.onChange(change);
  }

  async #read(note: Note): Promise<RemoteChange | null> {
    switch (note.k) {
      case 'b': {
        const { rows } = await this.#pool.query<{ events: CollectorEvent[] }>({
          name: 'ftpscope_feed_batch',
          text: 'SELECT events FROM live_batches WHERE host = $1 AND stream_id = $2 AND seq = $3',
          values: [note.h, note.s, note.q],
        });
        return rows[0] ? { kind: 'batch', host: note.h, events: rows[0].events } : null;
      }
      case 'h': {
        const { rows } = await this.#pool.query<{ connected: boolean; at: number | null }>({
          name: 'ftpscope_feed_host',
          text: `SELECT h.connected AND ${hubAlive('h.hub_id', '$2')} AS connected, h.last_seen AS at
            FROM hosts h WHERE h.name = $1`,
          values: [note.h, this.#now()],
        });
        const r = rows[0];
        return r ? { kind: 'host', host: note.h, connected: r.connected, at: r.at ?? this.#now() } : null;
      }
      case 'd': {
        const { rows } = await this.#pool.query<Parameters<typeof toDiagnosis>[0]>({
          name: 'ftpscope_feed_diagnosis',
          text: 'SELECT * FROM diagnoses WHERE id = $1',
          values: [note.id],
        });
        return rows[0] ? { kind: 'diagnosis', diagnosis: toDiagnosis(rows[0]) } : null;
      }
    }
  }
}
