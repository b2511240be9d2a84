import type { Diagnosis } from '@ftpscope/shared';
import type { Candidate } from './engine.ts';
import { occurrenceId, occurrenceKey } from './occurrence.ts';

/** What happened to a diagnosis in one evaluation. 'updated': still active, lastSeen/evidence changed. */
export interface Transition {
  event: 'opened' | 'updated' | 'resolved';
  diagnosis: Diagnosis;
}

/** Hysteresis of resolution (defaults: 30 s and 3 evaluations). */
export interface LifecycleOptions {
  /** A diagnosis resolves only after its cause was absent this long (ms)... */
  resolveAfterMs?: number;
  /** ...and in at least this many consecutive evaluations, so it does not flap. */
  resolveAfterEvaluations?: number;
}

interface Tracked {
  diagnosis: Diagnosis;
  /** Consecutive evaluations without the cause. */
  absent: number;
}

/**
 * Turns each evaluation's candidates into opened/updated/resolved diagnoses. Opens at once (a
 * diagnosis must show within seconds), resolves with hysteresis (absent for 30 s and 3 evaluations).
 * Tracks by stable key; each opening is a new occurrence with its own id (`<key>@<firstSeen>`).
 */
export class DiagnosisLifecycle {
  readonly #active = new Map<string, Tracked>();
  readonly #resolveAfterMs: number;
  readonly #resolveAfterEvaluations: number;

  constructor(opts: LifecycleOptions = {}) {
    this.#resolveAfterMs = opts.resolveAfterMs ?? 30_000;
    this.#resolveAfterEvaluations = opts.resolveAfterEvaluations ?? 3;
  }

  /** Takes over diagnoses that were active before a restart, so they continue instead of re-opening. */
  restore(diagnoses: Diagnosis[]): void {
    for (const d of diagnoses) {
      const key = occurrenceKey(d.id);
      const known = this.#active.get(key);
      if (d.resolvedAt === null && (!known || known.diagnosis.firstSeen < d.firstSeen))
        this.#active.set(key, { diagnosis: d, absent: 0 });
    }
  }

  /** Forgets a host's active diagnoses (another hub evaluates it now; restore() takes them back). */
  forget(host: string): void {
    for (const [key, t] of this.#active) if (t.diagnosis.host === host) this.#active.delete(key);
  }

  /** Applies one evaluation of one host; returns the transitions to store, publish and alert. */
  apply(host: string, candidates: Candidate[], now: number): Transition[] {
    const out: Transition[] = [];
    const seen = new Set<string>();
    for (const { key, ...c } of candidates) {
      seen.add(key);
      const tracked = this.#active.get(key);
      if (tracked) {
        tracked.absent = 0;
        const { id, firstSeen } = tracked.diagnosis;
        tracked.diagnosis = { ...c, id, firstSeen, lastSeen: now, resolvedAt: null };
        out.push({ event: 'updated', diagnosis: tracked.diagnosis });
      } else {
        const diagnosis: Diagnosis = {
          ...c,
          id: occurrenceId(key, now),
          firstSeen: now,
          lastSeen: now,
          resolvedAt: null,
        };
        this.#active.set(key, { diagnosis, absent: 0 });
        out.push({ event: 'opened', diagnosis });
      }
    }
    for (const [key, tracked] of this.#active) {
      if (tracked.diagnosis.host !== host || seen.has(key)) continue;
      tracked.absent += 1;
      const quiet = now - tracked.diagnosis.lastSeen;
      if (tracked.absent >= this.#resolveAfterEvaluations && quiet >= this.#resolveAfterMs) {
        this.#active.delete(key);
        out.push({ event: 'resolved', diagnosis: { ...tracked.diagnosis, resolvedAt: now } });
      }
    }
    return out;
  }

  /** Active diagnoses, of one host or all. */
  active(host?: string): Diagnosis[] {
    return [...this.#active.values()]
      .map((t) => t.diagnosis)
      .filter((d) => host === undefined || d.host === host);
  }
}
