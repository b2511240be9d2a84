import type { Diagnosis } from '@ftpscope/shared';
import type pg from 'pg';
import type { AlertEvent, PendingAlert } from '../store.ts';
import { inTransaction } from './connect.ts';
import { diagnosisValues, UPSERT_DIAGNOSIS } from './diagnoses.ts';
import { notify } from './feed.ts';
import { hubAlive } from './hubs.ts';

/** The alert outbox on PostgreSQL, shared by every hub: each alert is claimed by one hub and sent once. */
export class PgAlerts {
  readonly #pool: pg.Pool;
  readonly #hubId: string;

  constructor(pool: pg.Pool, hubId: string) {
    this.#pool = pool;
    this.#hubId = hubId;
  }

  /** The diagnosis, its alert and the notification to the other hubs commit together. */
  async record(d: Diagnosis, alert: AlertEvent | null, now: number): Promise<void> {
    await inTransaction(this.#pool, async (client) => {
      await client.query({
        name: 'ftpscope_upsert_diagnosis',
        text: UPSERT_DIAGNOSIS,
        values: diagnosisValues(d),
      });
      if (alert) {
        await client.query({
          name: 'ftpscope_alert_insert',
          text: `INSERT INTO alerts (key, host, event, diagnosis, created_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (key) DO NOTHING`,
          values: [`${d.id}|${alert}`, d.host, alert, JSON.stringify(d), now],
        });
      }
      await notify(client, { o: this.#hubId, k: 'd', id: d.id });
    });
  }

  async claim(limit: number, now: number): Promise<PendingAlert[]> {
    const { rows } = await this.#pool.query<{
      key: string;
      event: AlertEvent;
      diagnosis: Diagnosis;
      created_at: number;
    }>({
      name: 'ftpscope_alert_claim',
      text: `UPDATE alerts SET claimed_by = $1 WHERE key IN (
          SELECT key FROM alerts a WHERE a.sent_at IS NULL
            AND (a.claimed_by IS NULL OR (a.claimed_by <> $1 AND NOT ${hubAlive('a.claimed_by', '$2')}))
          ORDER BY a.created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING key, event, diagnosis, created_at`,
      values: [this.#hubId, now, limit],
    });
    return rows
      .sort((a, b) => a.created_at - b.created_at || (a.key < b.key ? -1 : 1))
      .map((r) => ({ key: r.key, event: r.event, diagnosis: r.diagnosis }));
  }

  async done(key: string, now: number): Promise<void> {
    await this.#pool.query({
      name: 'ftpscope_alert_done',
      text: 'UPDATE alerts SET sent_at = $2 WHERE key = $1',
      values: [key, now],
    });
  }
}
