import type { Diagnosis, DiagnosisView } from '@ftpscope/shared';
import { iso, isoOrNull } from './iso.ts';

/** A diagnosis occurrence, times in ISO. */
export function toDiagnosisView(d: Diagnosis): DiagnosisView {
  return {
    ...d,
    firstSeen: iso(d.firstSeen),
    lastSeen: iso(d.lastSeen),
    resolvedAt: isoOrNull(d.resolvedAt),
  };
}
