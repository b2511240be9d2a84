import { describe, expect, it } from 'vitest';
import { chartOf } from './chart.ts';
import { loadRecording } from './recorded.fixture.ts';

describe('the chart on the recorded history (ftp1 hardened while the client works)', () => {
  const rec = loadRecording('helper-removed');
  const h = rec.history;
  const c = chartOf(h);

  it('has a lane per host and each session as a mark coloured by its outcome', () => {
    expect(c.lanes).toEqual(['ftp1', 'ftp2']);
    expect(c.sessions).toHaveLength(h.sessions.length);
    const byOutcome = (host: string, o: string) =>
      c.sessions.filter((s) => s.host === host && s.outcome === o).length;
    expect(byOutcome('ftp1', 'failed')).toBe(rec.client.failed.ftp1);
    expect(byOutcome('ftp1', 'ok')).toBe(rec.client.ok.ftp1);
    expect(byOutcome('ftp2', 'ok')).toBe(rec.client.ok.ftp2);
  });

  it('marks the ruleset change with its diff, and the diagnosis periods as spans', () => {
    expect(c.changes.map((x) => [x.host, String(x.id)])).toEqual(
      h.changes.filter((x) => x.at >= h.from).map((x) => [x.host, x.id]),
    );
    expect(c.changes[0]?.removed.length).toBeGreaterThan(0);
    const span = c.diagnoses.find((d) => d.kind === 'ftp-helper-not-assigned');
    expect(span).toMatchObject({ host: 'ftp1', severity: 'critical' });
    expect(Date.parse(span?.from ?? '')).toBeGreaterThanOrEqual(rec.switchedAt as number);
  });

  it('has the packets dropped per minute as a band, as many as the counters counted', () => {
    const total = c.drops.reduce((n, d) => n + d.packets, 0);
    expect(total).toBe(h.dropMinutes.reduce((n, d) => n + d.packets, 0));
    expect(total).toBeGreaterThanOrEqual(rec.client.failed.ftp1 ?? 0);
    expect(c.drops.every((d) => Date.parse(d.at) % 60_000 === 0)).toBe(true);
  });
});
