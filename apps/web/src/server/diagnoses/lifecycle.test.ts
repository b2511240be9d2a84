import { describe, expect, it } from 'vitest';
import type { Candidate } from './engine.ts';
import { DiagnosisLifecycle } from './lifecycle.ts';

const c = (kind: string, host = 'ftp1'): Candidate => ({
  key: `${host}:${kind}`,
  kind,
  host,
  severity: 'critical',
  title: kind,
  explanation: '',
  evidence: [],
  fix: [],
});

describe('DiagnosisLifecycle', () => {
  it('opens at once, updates while present, resolves after 30 s and 3 evaluations without the cause', () => {
    const lc = new DiagnosisLifecycle();
    const t0 = 1_000_000;
    expect(lc.apply('ftp1', [c('a')], t0).map((t) => t.event)).toEqual(['opened']);
    expect(lc.apply('ftp1', [c('a')], t0 + 1000).map((t) => t.event)).toEqual(['updated']);
    // Absent for 3 evaluations but only 3 s: still active.
    for (let i = 2; i <= 4; i++) expect(lc.apply('ftp1', [], t0 + i * 1000)).toEqual([]);
    // Back again: no second "opened", firstSeen kept.
    const [again] = lc.apply('ftp1', [c('a')], t0 + 5000);
    expect(again).toMatchObject({ event: 'updated', diagnosis: { firstSeen: t0, lastSeen: t0 + 5000 } });
    // Absent 30 s but in only 2 evaluations: still active.
    expect(lc.apply('ftp1', [], t0 + 20_000)).toEqual([]);
    expect(lc.apply('ftp1', [], t0 + 35_000)).toEqual([]);
    const [resolved] = lc.apply('ftp1', [], t0 + 36_000);
    expect(resolved).toMatchObject({
      event: 'resolved',
      diagnosis: { resolvedAt: t0 + 36_000, lastSeen: t0 + 5000 },
    });
    expect(lc.active()).toEqual([]);
  });

  it('does not flap when the cause blinks every other evaluation', () => {
    const lc = new DiagnosisLifecycle();
    const events = [];
    for (let i = 0; i < 120; i++)
      events.push(...lc.apply('ftp1', i % 2 ? [] : [c('a')], i * 1000).map((t) => t.event));
    expect(events.filter((e) => e !== 'updated')).toEqual(['opened']);
  });

  it('only resolves diagnoses of the host being evaluated', () => {
    const lc = new DiagnosisLifecycle({ resolveAfterMs: 0, resolveAfterEvaluations: 1 });
    lc.apply('ftp1', [c('a', 'ftp1')], 0);
    lc.apply('ftp2', [c('a', 'ftp2')], 0);
    const out = lc.apply('ftp2', [], 1000);
    expect(out.map((t) => t.diagnosis.id)).toEqual(['ftp2:a@0']);
    expect(lc.active('ftp1')).toHaveLength(1);
  });

  it('continues restored diagnoses instead of opening them again', () => {
    const lc = new DiagnosisLifecycle();
    const { key, ...rest } = c('a');
    lc.restore([{ ...rest, id: `${key}@5`, firstSeen: 5, lastSeen: 9, resolvedAt: null }]);
    const [t] = lc.apply('ftp1', [c('a')], 100);
    expect(t).toMatchObject({ event: 'updated', diagnosis: { id: 'ftp1:a@5', firstSeen: 5, lastSeen: 100 } });
  });

  it('gives each occurrence of a recurring problem its own id, same id while it lasts', () => {
    const lc = new DiagnosisLifecycle({ resolveAfterMs: 0, resolveAfterEvaluations: 1 });
    const first = lc.apply('ftp1', [c('a')], 1000);
    const still = lc.apply('ftp1', [c('a')], 2000);
    const gone = lc.apply('ftp1', [], 3000);
    const again = lc.apply('ftp1', [c('a')], 15_000);
    expect([...first, ...still, ...gone, ...again].map((t) => `${t.event} ${t.diagnosis.id}`)).toEqual([
      'opened ftp1:a@1000',
      'updated ftp1:a@1000',
      'resolved ftp1:a@1000',
      'opened ftp1:a@15000',
    ]);
  });
});
