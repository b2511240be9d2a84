import type { Diagnosis } from '@ftpscope/shared';
import type { AlertEvent, PendingAlert } from '../store.ts';
import type { Db } from './db.ts';
import type { DiagnosesRepo } from './diagnoses.ts';

/** The alert outbox on SQLite (one hub: claiming is marking this hub as the sender). */
export class AlertsRepo {
  readonly #record;
  readonly #claim;
  readonly #done;

  constructor(db: Db, diagnoses: DiagnosesRepo, hubId: string) {
    const insert = db.prepare(
      `INSERT INTO alerts (key, host, event, diagnosis, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(key) DO NOTHING`,
    );
    this.#record = db.transaction((d: Diagnosis, alert: AlertEvent | null, now: number) => {
      diagnoses.upsert(d);
      if (alert) insert.run(`${d.id}|${alert}`, d.host, alert, JSON.stringify(d), now);
    });
    const pending = db.prepare(
      'SELECT key, event, diagnosis FROM alerts WHERE sent_at IS NULL AND claimed_by IS NULL ORDER BY created_at LIMIT ?',
    );
    const mark = db.prepare('UPDATE alerts SET claimed_by = ? WHERE key = ?');
    this.#claim = db.transaction((limit: number) => {
      const rows = pending.all(limit) as { key: string; event: AlertEvent; diagnosis: string }[];
      for (const r of rows) mark.run(hubId, r.key);
      return rows.map(
        (r): PendingAlert => ({ key: r.key, event: r.event, diagnosis: JSON.parse(r.diagnosis) }),
      );
    });
    this.#done = db.prepare('UPDATE alerts SET sent_at = ? WHERE key = ?');
    // What the last run of this hub had claimed but not sent is to be sent again.
    db.prepare('UPDATE alerts SET claimed_by = NULL WHERE sent_at IS NULL').run();
  }

  record(d: Diagnosis, alert: AlertEvent | null, now: number): void {
    this.#record.immediate(d, alert, now);
  }

  claim(limit: number): PendingAlert[] {
    return this.#claim.immediate(limit);
  }

  done(key: string, now: number): void {
    this.#done.run(now, key);
  }
}
