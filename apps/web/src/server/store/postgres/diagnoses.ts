import type { Diagnosis } from '@ftpscope/shared';
import type pg from 'pg';
import type { DiagnosisFilter } from '../records.ts';

/** A stored diagnosis row. */
export interface DiagnosisRow {
  id: string;
  kind: string;
  host: string;
  severity: Diagnosis['severity'];
  title: string;
  explanation: string;
  evidence: Diagnosis['evidence'];
  /** The lines, or `{lines, plan}` when the diagnosis has a manager's fix plan (as SQLite stores it). */
  fix: string[] | { lines: string[]; plan: NonNullable<Diagnosis['fixPlan']> };
  first_seen: number;
  last_seen: number;
  resolved_at: number | null;
}

/** Diagnosis upsert, shared with the engine's outbox transaction (postgres/alerts.ts). */
export const UPSERT_DIAGNOSIS = `INSERT INTO diagnoses (id, kind, host, severity, title, explanation, evidence, fix,
    first_seen, last_seen, resolved_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
  ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, title = excluded.title,
    explanation = excluded.explanation, evidence = excluded.evidence, fix = excluded.fix,
    first_seen = least(diagnoses.first_seen, excluded.first_seen), last_seen = excluded.last_seen,
    resolved_at = excluded.resolved_at`;

/** The values of UPSERT_DIAGNOSIS for a diagnosis. */
export function diagnosisValues(d: Diagnosis): unknown[] {
  return [
    d.id,
    d.kind,
    d.host,
    d.severity,
    d.title,
    d.explanation,
    JSON.stringify(d.evidence),
    JSON.stringify(d.fixPlan ? { lines: d.fix, plan: d.fixPlan } : d.fix),
    d.firstSeen,
    d.lastSeen,
    d.resolvedAt,
  ];
}

/** Diagnoses on PostgreSQL: one row per occurrence. */
export class PgDiagnoses {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async upsert(d: Diagnosis): Promise<void> {
    await this.#pool.query({
      name: 'ftpscope_upsert_diagnosis',
      text: UPSERT_DIAGNOSIS,
      values: diagnosisValues(d),
    });
  }

  async list(f: DiagnosisFilter): Promise<Diagnosis[]> {
    const values: unknown[] = [];
    const where: string[] = [];
    const param = (v: unknown) => `$${values.push(v)}`;
    if (f.host !== undefined) where.push(`host = ${param(f.host)}`);
    if (f.hosts !== undefined) where.push(`host = ANY(${param(f.hosts)}::text[])`);
    if (f.active === true) where.push('resolved_at IS NULL');
    if (f.active === false) where.push('resolved_at IS NOT NULL');
    if (f.from !== undefined) where.push(`(resolved_at IS NULL OR resolved_at >= ${param(f.from)})`);
    if (f.to !== undefined) where.push(`first_seen <= ${param(f.to)}`);
    const { rows } = await this.#pool.query<DiagnosisRow>(
      `SELECT * FROM diagnoses ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY resolved_at IS NOT NULL, first_seen DESC LIMIT ${param(f.limit ?? 1000)}`,
      values,
    );
    return rows.map(toDiagnosis);
  }
}

/** A stored diagnosis row as the domain type. */
export function toDiagnosis(r: DiagnosisRow): Diagnosis {
  return {
    id: r.id,
    kind: r.kind,
    host: r.host,
    severity: r.severity,
    title: r.title,
    explanation: r.explanation,
    evidence: r.evidence,
    ...(Array.isArray(r.fix) ? { fix: r.fix } : { fix: r.fix.lines, fixPlan: r.fix.plan }),
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    resolvedAt: r.resolved_at,
  };
}
