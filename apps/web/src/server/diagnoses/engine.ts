import { createHash } from 'node:crypto';
import type { Diagnosis } from '@ftpscope/shared';
import { MAX_KEY_LENGTH } from './occurrence.ts';
import { RULES } from './rules/index.ts';
import type { DiagnosisKind, DiagnosisRule, Finding, HostWindow, Log } from './types.ts';

/**
 * A diagnosis as the rules see it now, named by its stable key; the lifecycle gives it the occurrence
 * id, first/last seen and resolution.
 */
export type Candidate = Omit<Diagnosis, 'id' | 'firstSeen' | 'lastSeen' | 'resolvedAt'> & { key: string };

/** Stable key of a diagnosis: the same problem on the same host keeps it across evaluations and restarts. */
export function diagnosisKey(host: string, kind: string, subject?: string): string {
  const id = subject === undefined ? `${host}:${kind}` : `${host}:${kind}:${subject}`;
  if (id.length <= MAX_KEY_LENGTH) return id;
  const digest = createHash('sha256')
    .update(subject ?? '')
    .digest('hex')
    .slice(0, 16);
  return `${host}:${kind}:${digest}`;
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Shapes a rule's finding into a schema-valid candidate (lengths clipped to the Diagnosis schema). */
function toCandidate(host: string, f: Finding): Candidate {
  return {
    key: diagnosisKey(host, f.kind, f.subject),
    kind: f.kind,
    host,
    severity: f.severity,
    title: clip(f.title, 256),
    explanation: clip(f.explanation, 4096),
    evidence: f.evidence
      .slice(0, 50)
      .map((e) => ({ type: e.type, id: clip(e.id, 256), label: clip(e.label, 512) })),
    fix: f.fix.slice(0, 20).map((c) => clip(c, 1024)),
    ...(f.fixPlan ? { fixPlan: f.fixPlan } : {}),
  };
}

/** Which rules to run (default: all of them) and where a failing rule is reported. */
export interface EvaluateOptions {
  rules?: Partial<Record<DiagnosisKind, DiagnosisRule>>;
  /** Where a rule that throws is reported; the other rules still run. */
  log?: Log;
}

/** Runs every rule over one host's window and returns what is wrong right now (no state, no side effects). */
export function evaluate(window: HostWindow, now: number, opts: EvaluateOptions = {}): Candidate[] {
  const out = new Map<string, Candidate>();
  for (const [kind, rule] of Object.entries(opts.rules ?? RULES)) {
    if (!rule) continue;
    let findings: Finding[];
    try {
      findings = rule(window, now);
    } catch (err) {
      opts.log?.error({ err, kind, host: window.host }, 'diagnosis rule failed; other rules still ran');
      continue;
    }
    for (const f of findings) {
      const c = toCandidate(window.host, f);
      out.set(c.key, c);
    }
  }
  return [...out.values()];
}
