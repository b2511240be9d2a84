import type { DataChannelAttempt, DataChannelAttemptView } from '@ftpscope/shared';

type Outcome = DataChannelAttempt['outcome'];

/** Outcomes in the order the table and the session view list them (trouble first). */
export const OUTCOME_ORDER: readonly Outcome[] = [
  'dropped',
  'refused',
  'timed-out',
  'unused',
  'unknown',
  'pending',
  'ok',
];

/** How many attempts had each outcome. */
export type OutcomeCounts = Partial<Record<Outcome, number>>;

/** Counts the outcomes of a session's attempts. */
export function outcomeCounts(
  attempts: ReadonlyArray<Pick<DataChannelAttempt, 'outcome'>> | undefined,
): OutcomeCounts {
  const out: OutcomeCounts = {};
  for (const a of attempts ?? []) out[a.outcome] = (out[a.outcome] ?? 0) + 1;
  return out;
}

/** "2 ok · 1 dropped", trouble first; '' when there are none. */
export function outcomeSummary(counts: OutcomeCounts): string {
  return OUTCOME_ORDER.filter((o) => counts[o])
    .map((o) => `${counts[o]} ${outcomeLabel(o)}`)
    .join(' · ');
}

/** Whether any attempt went wrong (anything but ok and pending). */
export function hasTrouble(counts: OutcomeCounts): boolean {
  return OUTCOME_ORDER.some((o) => o !== 'ok' && o !== 'pending' && (counts[o] ?? 0) > 0);
}

/** The outcome as the UI says it. */
export function outcomeLabel(o: Outcome): string {
  return o === 'unused' ? 'offered, never used' : o === 'timed-out' ? 'timed out' : o;
}

/** Tag colour class of an outcome. */
export function outcomeClass(o: Outcome): string {
  return o === 'ok' ? 'good' : o === 'pending' ? '' : o === 'unknown' ? 'warn' : 'bad';
}

/** How the evidence was tied to the session, in words (the UI says which, as the issue asks). */
export function tiedByText(t: DataChannelAttemptView['tiedBy']): string {
  switch (t) {
    case 'port':
      return 'by the exact port of its PASV reply or PORT command';
    case 'expectation':
      return "by the FTP helper's expectation";
    case 'client-time':
      return 'by client address and time only';
    case 'time':
      return 'by time only (rule counters name no address)';
    default:
      return '';
  }
}

/** Where the bytes came from. */
export function bytesSource(a: Pick<DataChannelAttemptView, 'bytesFrom'>): string {
  return a.bytesFrom === 'conntrack' ? 'conntrack' : a.bytesFrom === 'server-log' ? 'server log' : '';
}
