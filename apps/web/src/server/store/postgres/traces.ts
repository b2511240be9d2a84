import type pg from 'pg';
import type { TraceRecord } from '../records.ts';

interface PgTraceRow {
  id: string;
  host: string;
  client: string;
  requested_by: TraceRecord['requestedBy'];
  started_at: number;
  ended_at: number | null;
  duration_ms: number;
  end_reason: TraceRecord['endReason'];
  error: string | null;
  packets: number;
  pcap_bytes: number;
  tls: boolean;
  steps: TraceRecord['steps'];
}

function fromRow(r: PgTraceRow): TraceRecord {
  return {
    id: r.id,
    host: r.host,
    client: r.client,
    requestedBy: r.requested_by,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationMs: r.duration_ms,
    endReason: r.end_reason,
    error: r.error,
    packets: r.packets,
    pcapBytes: r.pcap_bytes,
    tls: r.tls,
    steps: r.steps,
  };
}

const COLUMNS = `id, host, client, requested_by, started_at, ended_at, duration_ms, end_reason, error, packets,
  pcap_bytes, tls`;

/** Stored traces and their pcaps (bytea) on PostgreSQL. */
export class PgTraces {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async start(t: TraceRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO traces (id, host, client, requested_by, started_at, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
      [t.id, t.host, t.client, JSON.stringify(t.requestedBy), t.startedAt, t.durationMs],
    );
  }

  async finish(t: TraceRecord, pcap: Buffer): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `UPDATE traces SET ended_at = $2, end_reason = $3, error = $4, packets = $5, pcap_bytes = $6, tls = $7,
           steps = $8 WHERE id = $1`,
        [t.id, t.endedAt, t.endReason, t.error, t.packets, t.pcapBytes, t.tls, JSON.stringify(t.steps)],
      );
      if (pcap.length > 0)
        await client.query(
          `INSERT INTO trace_pcaps (trace_id, pcap) VALUES ($1, $2)
           ON CONFLICT (trace_id) DO UPDATE SET pcap = excluded.pcap`,
          [t.id, pcap],
        );
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async get(id: string): Promise<TraceRecord | null> {
    const { rows } = await this.#pool.query<PgTraceRow>(
      `SELECT ${COLUMNS}, steps FROM traces WHERE id = $1`,
      [id],
    );
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async list(host: string | null, limit: number): Promise<TraceRecord[]> {
    const { rows } = await this.#pool.query<PgTraceRow>(
      `SELECT ${COLUMNS}, '[]'::jsonb AS steps FROM traces WHERE ($1::text IS NULL OR host = $1)
       ORDER BY started_at DESC LIMIT $2`,
      [host, limit],
    );
    return rows.map(fromRow);
  }

  async pcap(id: string): Promise<Buffer | null> {
    const { rows } = await this.#pool.query<{ pcap: Buffer }>(
      'SELECT pcap FROM trace_pcaps WHERE trace_id = $1',
      [id],
    );
    return rows[0]?.pcap ?? null;
  }

  /**
   * Traces left running by a hub that stopped: only those older than any trace lives (10 min), since other hubs
   * sharing the database may be tracing right now.
   */
  async interruptRunning(at: number): Promise<number> {
    const { rowCount } = await this.#pool.query(
      `UPDATE traces SET ended_at = $1, end_reason = 'hub-restart' WHERE ended_at IS NULL AND started_at < $1 - 600000`,
      [at],
    );
    return rowCount ?? 0;
  }

  async clientKnown(host: string, ip: string): Promise<boolean> {
    const { rows } = await this.#pool.query(
      'SELECT 1 FROM all_sessions WHERE host = $1 AND client_ip = $2 LIMIT 1',
      [host, ip],
    );
    return rows.length > 0;
  }
}
