import type { Diagnosis, FixPlan } from '@ftpscope/shared';
import type { DiagnosisFilter } from '../records.ts';
import type { Db } from './db.ts';

interface DiagnosisRow {
  id: string;
  kind: string;
  host: string;
  severity: Diagnosis['severity'];
  title: string;
  explanation: string;
  evidence: string;
  fix: string;
  first_seen: number;
  last_seen: number;
  resolved_at: number | null;
}

/** The fix column: a JSON array of lines, or `{lines, plan}`. */
function readFix(text: string): Pick<Diagnosis, 'fix' | 'fixPlan'> {
  const v = JSON.parse(text) as string[] | { lines: string[]; plan: FixPlan };
  return Array.isArray(v) ? { fix: v } : { fix: v.lines, fixPlan: v.plan };
}

/** Diagnoses written by the engine (one row per occurrence `<key>@<firstSeen>`, updated while open) and read by the API. */
export class DiagnosesRepo {
  readonly #db: Db;
  readonly #upsert;

  constructor(db: Db) {
    this.#db = db;
    this.#upsert = db.prepare(
      `INSERT INTO diagnoses (id, kind, host, severity, title, explanation, evidence, fix, first_seen, last_seen,
         resolved_at)
       VALUES (@id, @kind, @host, @severity, @title, @explanation, @evidence, @fix, @firstSeen, @lastSeen,
         @resolvedAt)
       ON CONFLICT(id) DO UPDATE SET severity = excluded.severity, title = excluded.title,
         explanation = excluded.explanation, evidence = excluded.evidence, fix = excluded.fix,
         first_seen = min(diagnoses.first_seen, excluded.first_seen), last_seen = excluded.last_seen,
         resolved_at = excluded.resolved_at`,
    );
  }

  /** Stores the full state of a diagnosis. */
  upsert(d: Diagnosis): void {
    // The fix column holds the lines, or {lines, plan} when the diagnosis has a manager's fix plan (no migration).
    const fix = d.fixPlan ? { lines: d.fix, plan: d.fixPlan } : d.fix;
    this.#upsert.run({ ...d, evidence: JSON.stringify(d.evidence), fix: JSON.stringify(fix) });
  }

  /** Diagnoses, open ones first then newest; `from`/`to` select those overlapping the window. */
  list(f: DiagnosisFilter): Diagnosis[] {
    const where: string[] = [];
    if (f.host !== undefined) where.push('host = @host');
    if (f.hosts !== undefined) where.push('host IN (SELECT value FROM json_each(@hostsJson))');
    if (f.active === true) where.push('resolved_at IS NULL');
    if (f.active === false) where.push('resolved_at IS NOT NULL');
    if (f.from !== undefined) where.push('(resolved_at IS NULL OR resolved_at >= @from)');
    if (f.to !== undefined) where.push('first_seen <= @to');
    const sql = `SELECT * FROM diagnoses ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY resolved_at IS NOT NULL, first_seen DESC LIMIT @limit`;
    const rows = this.#db
      .prepare(sql)
      .all({ ...f, hostsJson: JSON.stringify(f.hosts ?? []), limit: f.limit ?? 1000 }) as DiagnosisRow[];
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      host: r.host,
      severity: r.severity,
      title: r.title,
      explanation: r.explanation,
      evidence: JSON.parse(r.evidence) as Diagnosis['evidence'],
      ...readFix(r.fix),
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      resolvedAt: r.resolved_at,
    }));
  }
}
