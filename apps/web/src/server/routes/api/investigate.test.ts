import type { InvestigateListPage, InvestigateView, SessionStory } from '@ftpscope/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRecording } from '../../investigate/recorded.fixture.ts';
import { writeRecording } from '../../investigate/replay.fixture.ts';
import { API_TOKEN, testApp } from '../../testing/harness.ts';
import { ENGINES, useEngine } from '../../testing/store-engines.ts';

const rec = loadRecording('helper-removed');
const client = rec.subject.client as string;
const auth = { authorization: `Bearer ${API_TOKEN}` };
const iso = (ms: number) => new Date(ms).toISOString();
let hub: Awaited<ReturnType<typeof testApp>>;

async function get<T>(url: string, status = 200): Promise<T> {
  const res = await hub.app.inject({ url, headers: auth });
  expect(res.statusCode, res.body).toBe(status);
  return res.json() as T;
}

const window = `from=${iso(rec.from)}&to=${iso(rec.to)}`;

describe.each(ENGINES)('investigate routes on the recorded history (%s)', (engine) => {
  useEngine(engine);
  beforeAll(async () => {
    hub = await testApp({ engine, now: () => rec.recordedAt, diagnosesIntervalMs: 0 });
    await writeRecording(hub.app.store, rec);
  });
  afterAll(async () => {
    await hub.close();
  });

  describe('GET /api/investigate (ftp1 hardened while the client works)', () => {
    it('answers first: the summary, the chart with the change marker, the first page of the grouped list', async () => {
      const v = await get<InvestigateView>(`/api/investigate?client=${client}&${window}&tz=UTC`);
      expect(v.subject).toBe(client);
      expect(v.truncated).toBe(false);
      expect(v.summary.status).toBe('failing');
      expect(v.summary.failingHosts).toEqual(['ftp1']);
      expect(v.summary.diagnosis?.kind).toBe('ftp-helper-not-assigned');
      expect(v.summary.sentences.join(' ')).toContain(`at ${v.summary.change?.at.slice(11, 19)},`);
      expect(v.chart.lanes).toEqual(['ftp1', 'ftp2']);
      expect(v.chart.changes.map((c) => String(c.id))).toContain(v.summary.change?.id);
      expect(v.list.total).toBe(v.list.entries.length);
      expect(
        v.list.entries
          .filter((e) => e.type === 'sessions')
          .reduce((n, e) => n + (e.type === 'sessions' ? e.count : 0), 0),
      ).toBe(rec.history.sessions.length);
    });

    it('writes the summary in the asker’s zone', async () => {
      const v = await get<InvestigateView>(`/api/investigate?client=${client}&${window}&tz=America/New_York`);
      const at = Date.parse(v.summary.change?.at ?? '');
      const ny = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'America/New_York',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      }).format(at);
      expect(v.summary.sentences[1]).toContain(`at ${ny},`);
    });

    it('narrows the list to a brushed range and pages through it', async () => {
      const after = rec.switchedAt as number;
      const page = await get<InvestigateListPage>(
        `/api/investigate/list?client=${client}&from=${iso(after + 1000)}&to=${iso(rec.to)}&limit=1`,
      );
      expect(page.limit).toBe(1);
      expect(page.entries).toHaveLength(1);
      const all = await get<InvestigateListPage>(
        `/api/investigate/list?client=${client}&from=${iso(after + 1000)}&to=${iso(rec.to)}&limit=500`,
      );
      expect(all.total).toBe(page.total);
      const labels = all.entries.map((e) => (e.type === 'sessions' ? `${e.host}:${e.outcome}` : e.type));
      expect(labels).toContain('ftp1:failed');
      expect(labels).not.toContain('ftp1:ok');
      const next = await get<InvestigateListPage>(
        `/api/investigate/list?client=${client}&from=${iso(after + 1000)}&to=${iso(rec.to)}&limit=1&offset=1`,
      );
      expect(next.entries[0]).toEqual(all.entries[1]);
    });

    it('refuses a question without a subject, an unknown zone, a window over 7 days, from after to, and no token', async () => {
      const bad = async (url: string, what: RegExp) => {
        const res = await hub.app.inject({ url, headers: auth });
        expect(res.statusCode, url).toBe(400);
        expect(res.json()).toMatchObject({
          code: 'FTPSCOPE_ERR_BAD_PARAM',
          message: expect.stringMatching(what),
        });
      };
      await bad(`/api/investigate?${window}`, /querystring\/client, querystring\/user or querystring\/host/);
      await bad(`/api/investigate?client=${client}&tz=Nowhere/Land`, /querystring\/tz/);
      // A leap second passes the date-time format but no Date holds it: a 400, not a 500.
      await bad(
        `/api/investigate?client=${client}&to=2026-06-30T23:59:60Z`,
        /querystring\/to: not a valid time/,
      );
      await bad(
        `/api/investigate?client=${client}&from=${iso(rec.to - 8 * 86_400_000)}&to=${iso(rec.to)}`,
        /7 days/,
      );
      await bad(
        `/api/investigate/list?client=${client}&from=${iso(rec.to)}&to=${iso(rec.from)}`,
        /from must not be after/,
      );
      await bad(`/api/investigate/list?client=${client}&limit=100000`, /limit/);
      const res = await hub.app.inject({ url: `/api/investigate?client=${client}` });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('GET /api/sessions/:id/story on the recorded history', () => {
    const last = new Map<string, string>();
    for (const b of rec.batches)
      for (const e of b.events)
        if (e.kind === 'session' && e.session.attempts?.[0])
          last.set(e.session.id, e.session.attempts[0].outcome);
    const droppedId = [...last].find(([, o]) => o === 'dropped')?.[0] ?? '';
    const okId = [...last].find(([, o]) => o === 'ok')?.[0] ?? '';

    it('tells a dropped session: the dialogue, the channel with the rule in words, the ruleset in force', async () => {
      const s = await get<SessionStory>(`/api/sessions/${droppedId}/story`);
      expect(s.dialogue.map((l) => l.text)).toContain('PASV');
      expect(s.dialogue.find((l) => l.text.startsWith('227 '))?.dir).toBe('reply');
      expect(s.channels).toHaveLength(1);
      expect(s.channels[0]).toMatchObject({
        outcome: 'dropped',
        ruleLabel: 'INPUT policy DROP (ipv4 filter)',
      });
      // the session started after the switch: the ruleset in force is the one that change made
      const change = rec.history.changes.find((c) => c.host === 'ftp1');
      expect(String(s.rulesetBefore?.id)).toBe(change?.id);
      expect(s.changesDuring).toEqual([]);
    });

    it('tells a working one with the command that used its channel; an unknown session is a 404', async () => {
      const s = await get<SessionStory>(`/api/sessions/${okId}/story`);
      expect(s.channels[0]).toMatchObject({ outcome: 'ok', ruleLabel: null, transferCommand: 'LIST' });
      const res = await hub.app.inject({ url: '/api/sessions/s-nope/story', headers: auth });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'FTPSCOPE_ERR_NOT_FOUND' });
    });
  });
});
