import { describe, expect, it } from 'vitest';
import { entriesOf, MAX_GROUP_SESSIONS, pageOf } from './groups.ts';
import type { History, InvestigateSession } from './history.ts';
import { loadRecording } from './recorded.fixture.ts';

describe('the grouped list on the recorded history (ftp1 hardened while the client works)', () => {
  const rec = loadRecording('helper-removed');
  const h = rec.history;
  const entries = entriesOf(h);
  const groups = entries.filter((e) => e.type === 'sessions');
  const client = h.subject.client as string;

  it('collapses identical consecutive sessions per host, with counts that add up to what the client ran', () => {
    expect(groups.map((g) => [g.host, g.count, g.label])).toEqual([
      ['ftp1', rec.client.ok.ftp1, `passive LIST from ${client} → ok`],
      ['ftp2', rec.client.ok.ftp2, `passive LIST from ${client} → ok`],
      ['ftp1', rec.client.failed.ftp1, `passive data channel from ${client} → dropped by INPUT policy DROP`],
    ]);
    expect(groups.reduce((n, g) => n + g.count, 0)).toBe(h.sessions.length);
    const failing = groups[2];
    expect(failing?.outcome).toBe('failed');
    expect(failing?.sessions.map((s) => s.id)).toEqual(
      h.sessions.filter((s) => s.host === 'ftp1' && s.attempts[0]?.outcome === 'dropped').map((s) => s.id),
    );
  });

  it('puts the ruleset change and the diagnoses where they happened, oldest first', () => {
    const kinds = entries.map((e) =>
      e.type === 'diagnosis' ? e.kind : e.type === 'sessions' ? `${e.host}:${e.outcome}` : e.type,
    );
    const change = kinds.indexOf('change');
    expect(change).toBeGreaterThan(kinds.indexOf('ftp1:ok'));
    expect(change).toBeLessThan(kinds.indexOf('ftp1:failed'));
    expect(kinds).toContain('ftp-helper-not-assigned');
    const starts = entries.map((e) => (e.type === 'sessions' ? e.from : e.at));
    expect([...starts].sort()).toEqual(starts);
  });

  it('pages through the entries', () => {
    const p = pageOf(entries, 2, 2);
    expect(p).toMatchObject({ total: entries.length, offset: 2, limit: 2 });
    expect(p.entries).toEqual(entries.slice(2, 4));
    expect(pageOf(entries, entries.length, 50).entries).toEqual([]);
  });

  it('keeps a large group to one row, listing its first sessions for expansion', () => {
    const failing = h.sessions.find((s) => s.attempts[0]?.outcome === 'dropped') as InvestigateSession;
    const many: History = {
      ...h,
      sessions: Array.from({ length: 300 }, (_, i) => ({
        ...failing,
        id: `${failing.id}-${i}`,
        startedAt: failing.startedAt + i * 2000,
      })),
    };
    const [g] = entriesOf(many).filter((e) => e.type === 'sessions');
    expect(g).toMatchObject({ count: 300, from: new Date(failing.startedAt).toISOString() });
    expect(g?.type === 'sessions' && g.sessions.length).toBe(MAX_GROUP_SESSIONS);
  });

  it('labels a session whose channels ended differently with every kind counted', () => {
    const okSession = h.sessions.find((s) => s.host === 'ftp1' && s.attempts[0]?.outcome === 'ok');
    const dropped = h.sessions.find((s) => s.host === 'ftp1' && s.attempts[0]?.outcome === 'dropped')
      ?.attempts[0];
    if (!okSession?.attempts[0] || !dropped) throw new Error('the recording has no ok and dropped sessions');
    const mixed: InvestigateSession = {
      ...okSession,
      attempts: [
        okSession.attempts[0],
        { ...dropped, id: 'd1' },
        { ...dropped, id: 'd2', outcome: 'timed-out', ruleId: null },
      ],
    };
    const [g] = entriesOf({ ...h, sessions: [mixed], changes: [], diagnoses: [] });
    expect(g?.type === 'sessions' && g.label).toMatch(/→ 1 ok, 1 dropped by INPUT policy DROP, 1 timed out$/);
    const two = { ...mixed, attempts: mixed.attempts.slice(0, 2) };
    const [g2] = entriesOf({ ...h, sessions: [two], changes: [], diagnoses: [] });
    expect(g2?.type === 'sessions' && g2.label).toMatch(/→ 1 ok, 1 dropped by INPUT policy DROP$/);
  });

  it('starts a new group when a session in between on the same host differs', () => {
    const ok = h.sessions.filter((s) => s.host === 'ftp1' && s.attempts[0]?.outcome === 'ok');
    const bad = h.sessions.filter((s) => s.host === 'ftp1' && s.attempts[0]?.outcome === 'dropped');
    const mixed = [ok[0], bad[0], ok[1]].filter((s) => s !== undefined) as InvestigateSession[];
    const g = entriesOf({ ...h, sessions: mixed, changes: [], diagnoses: [] });
    expect(g.map((e) => e.type === 'sessions' && e.count)).toEqual([1, 1, 1]);
  });
});
