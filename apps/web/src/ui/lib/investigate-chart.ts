import type { ChartSession, InvestigateChart, SessionOutcome } from '@ftpscope/shared';

/** The CSS colour variable of each session outcome (trouble stands out, sessions without data are quiet). */
export const OUTCOME_COLOR: Record<SessionOutcome, string> = {
  failed: '--danger',
  mixed: '--warn',
  ok: '--ok',
  unknown: '--muted',
  none: '--border',
};

/** What each outcome is called in the legend. */
export const OUTCOME_NAME: Record<SessionOutcome, string> = {
  failed: 'failed',
  mixed: 'partly failed',
  ok: 'ok',
  unknown: 'unknown',
  none: 'no data channel',
};

/** The name of the drops band's row, below the host lanes. */
export const DROPS_ROW = 'drops/min';

/** Rows top to bottom: one lane per host, then the drops band. */
export function chartRows(chart: Pick<InvestigateChart, 'lanes'>): string[] {
  return [...chart.lanes, DROPS_ROW];
}

/** The y value (uPlot's `lane` scale, 0 at the bottom) of the middle of row `i` counted from the top. */
export function rowCenter(rowCount: number, i: number): number {
  return rowCount - i - 0.5;
}

/**
 * Each minute of drops as a cell of the band: from the first to the last drop seen in it (the whole minute when
 * only the minute is known), with its strength 0..1 relative to the busiest minute.
 */
export function dropsBand(
  drops: InvestigateChart['drops'],
): { from: number; to: number; packets: number; strength: number }[] {
  const max = Math.max(1, ...drops.map((d) => d.packets));
  return drops.map((d) => {
    const minute = Date.parse(d.at);
    const known = d.first !== null && d.last !== null;
    return {
      from: known ? Date.parse(d.first as string) : minute,
      to: known ? Date.parse(d.last as string) : minute + 60_000,
      packets: d.packets,
      strength: d.packets / max,
    };
  });
}

/** The session of `host` nearest to time `t` within `toleranceMs`, if any (a click on the chart). */
export function nearestSession(
  sessions: readonly ChartSession[],
  host: string,
  t: number,
  toleranceMs: number,
): ChartSession | null {
  let best: ChartSession | null = null;
  let bestD = toleranceMs;
  for (const s of sessions) {
    if (s.host !== host) continue;
    const d = Math.abs(Date.parse(s.at) - t);
    if (d <= bestD) {
      best = s;
      bestD = d;
    }
  }
  return best;
}

/** How many sessions of each outcome the chart holds, for its legend and label. */
export function outcomeTally(sessions: readonly ChartSession[]): Partial<Record<SessionOutcome, number>> {
  const out: Partial<Record<SessionOutcome, number>> = {};
  for (const s of sessions) out[s.outcome] = (out[s.outcome] ?? 0) + 1;
  return out;
}

/**
 * The part of the window the chart shows: the span of its sessions and ruleset changes, padded (10%, at least
 * 5 s), inside the window. Someone asks "around 15:00 ± 30 min"; the activity may be a minute of it.
 */
export function focusRange(
  chart: Pick<InvestigateChart, 'sessions' | 'changes'>,
  from: number,
  to: number,
): { from: number; to: number } {
  const times = [...chart.sessions.map((s) => s.at), ...chart.changes.map((c) => c.at)]
    .map((t) => Date.parse(t))
    .filter((t) => t >= from && t <= to);
  if (times.length === 0) return { from, to };
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const pad = Math.max(5_000, (hi - lo) * 0.1);
  return { from: Math.max(from, lo - pad), to: Math.min(to, hi + pad) };
}

/** Tick labels of the time axis in 24-hour local time, with seconds when the range is short. */
export function timeTicks(splits: number[], spanMs: number): string[] {
  return splits.map((s) =>
    new Date(s * 1000).toLocaleTimeString([], {
      hour: '2-digit',
      minute: '2-digit',
      ...(spanMs <= 10 * 60_000 && { second: '2-digit' }),
      hour12: false,
    }),
  );
}
