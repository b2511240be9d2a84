import type { Db } from './db.ts';

/** Exactly-once bookkeeping: the highest sequence stored per (host, collector stream). */
export class StreamsRepo {
  readonly #get;
  readonly #set;

  constructor(db: Db) {
    this.#get = db.prepare('SELECT last_seq FROM streams WHERE host = ? AND stream_id = ?').pluck();
    this.#set = db.prepare(
      `INSERT INTO streams (host, stream_id, last_seq, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(host, stream_id) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq),
         updated_at = excluded.updated_at`,
    );
  }

  /** 0 when nothing of this stream was stored yet. */
  lastSeq(host: string, streamId: string): number {
    return (this.#get.get(host, streamId) as number | undefined) ?? 0;
  }

  setLastSeq(host: string, streamId: string, seq: number, now: number): void {
    this.#set.run(host, streamId, seq, now);
  }
}
