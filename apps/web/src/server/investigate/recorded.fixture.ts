/**
 * Histories recorded from the real lab by test/fixtures/investigate/record.ts: every batch the hub stored, the
 * diagnoses its engine made, what the working client itself saw, and the history Investigate read back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CollectorEvent, DiagnosisView } from '@ftpscope/shared';
import type { History, Subject } from './history.ts';

/** One recording. */
export interface Recording {
  scenario: string;
  recordedAt: number;
  /** Listings the client ran, by host: how many worked and how many failed, as lftp saw them. */
  client: { ok: Record<string, number>; failed: Record<string, number> };
  /** When ftp1's profile was switched (null: it was not). */
  switchedAt: number | null;
  subject: Subject;
  from: number;
  to: number;
  diagnoses: DiagnosisView[];
  batches: { at: number; host: string; events: CollectorEvent[] }[];
  history: History;
}

/** The recording of a scenario (see record.ts). */
export function loadRecording(
  name: 'helper-removed' | 'helper-removed-nflog' | 'helper-restored' | 'all-ok',
): Recording {
  // A path, not import.meta.url: component tests load this module through Vite in a browser-like environment.
  const file = join(import.meta.dirname, '../../../test/fixtures/investigate', `${name}.json`);
  return JSON.parse(readFileSync(file, 'utf8')) as Recording;
}
