import type { TraceRecord } from '../records.ts';
import type { Db } from './db.ts';

interface TraceRow {
  id: string;
  host: string;
  client: string;
  requested_by: string;
  started_at: number;
  ended_at: number | null;
  duration_ms: number;
  end_reason: TraceRecord['endReason'];
  error: string | null;
  packets: number;
  pcap_bytes: number;
  tls: number;
  steps: string;
}

function fromRow(r: TraceRow, withSteps: boolean): TraceRecord {
  return {
    id: r.id,
    host: r.host,
    client: r.client,
    requestedBy: JSON.parse(r.requested_by) as TraceRecord['requestedBy'],
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationMs: r.duration_ms,
    endReason: r.end_reason,
    error: r.error,
    packets: r.packets,
    pcapBytes: r.pcap_bytes,
    tls: r.tls === 1,
    steps: withSteps ? (JSON.parse(r.steps) as TraceRecord['steps']) : [],
  };
}

/** Stored traces and their pcaps (traces, trace_pcaps). */
export class TracesRepo {
  readonly #insert;
  readonly #finish;
  readonly #get;
  readonly #list;
  readonly #pcap;
  readonly #interrupt;
  readonly #clientKnown;

  constructor(db: Db) {
    this.#insert = db.prepare(
      `INSERT INTO traces (id, host, client, requested_by, started_at, duration_ms)
       VALUES (@id, @host, @client, @requestedBy, @startedAt, @durationMs)`,
    );
    const update = db.prepare(
      `UPDATE traces SET ended_at = @endedAt, end_reason = @endReason, error = @error, packets = @packets,
         pcap_bytes = @pcapBytes, tls = @tls, steps = @steps WHERE id = @id`,
    );
    const savePcap = db.prepare(
      'INSERT INTO trace_pcaps (trace_id, pcap) VALUES (?, ?) ON CONFLICT(trace_id) DO UPDATE SET pcap = excluded.pcap',
    );
    this.#finish = db.transaction((t: TraceRecord, pcap: Buffer) => {
      update.run({ ...t, tls: t.tls ? 1 : 0, steps: JSON.stringify(t.steps) });
      if (pcap.length > 0) savePcap.run(t.id, pcap);
    });
    this.#get = db.prepare('SELECT * FROM traces WHERE id = ?');
    this.#list = db.prepare(
      `SELECT id, host, client, requested_by, started_at, ended_at, duration_ms, end_reason, error, packets,
         pcap_bytes, tls, '[]' AS steps FROM traces WHERE (@host IS NULL OR host = @host)
       ORDER BY started_at DESC LIMIT @limit`,
    );
    this.#pcap = db.prepare('SELECT pcap FROM trace_pcaps WHERE trace_id = ?').pluck();
    this.#interrupt = db.prepare(
      `UPDATE traces SET ended_at = ?, end_reason = 'hub-restart' WHERE ended_at IS NULL`,
    );
    this.#clientKnown = db.prepare('SELECT 1 FROM sessions WHERE host = ? AND client_ip = ? LIMIT 1').pluck();
  }

  start(t: TraceRecord): void {
    this.#insert.run({ ...t, requestedBy: JSON.stringify(t.requestedBy) });
  }

  finish(t: TraceRecord, pcap: Buffer): void {
    this.#finish.immediate(t, pcap);
  }

  get(id: string): TraceRecord | null {
    const r = this.#get.get(id) as TraceRow | undefined;
    return r ? fromRow(r, true) : null;
  }

  list(host: string | null, limit: number): TraceRecord[] {
    return (this.#list.all({ host, limit }) as TraceRow[]).map((r) => fromRow(r, false));
  }

  pcap(id: string): Buffer | null {
    return (this.#pcap.get(id) as Buffer | undefined) ?? null;
  }

  interruptRunning(at: number): number {
    return this.#interrupt.run(at).changes;
  }

  clientKnown(host: string, ip: string): boolean {
    return this.#clientKnown.get(host, ip) !== undefined;
  }
}
