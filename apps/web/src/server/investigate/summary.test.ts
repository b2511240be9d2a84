import { describe, expect, it } from 'vitest';
import type { History } from './history.ts';
import { loadRecording } from './recorded.fixture.ts';
import { summarize } from './summary.ts';
import { timeFormat } from './time-format.ts';

const hms = (ms: number, timeZone = 'UTC') =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(ms);

/** Data channels of the client on a host with an outcome, from the recorded history. */
function asked(h: History, host: string, outcome: string): number[] {
  return h.sessions
    .filter((s) => s.host === host)
    .flatMap((s) => s.attempts)
    .filter((a) => a.outcome === outcome)
    .map((a) => a.askedAt)
    .sort((a, b) => a - b);
}

describe('summary on the recorded history: ftp1 switched to hardened-no-helper while the client works', () => {
  const rec = loadRecording('helper-removed');
  const h = rec.history;
  const switchedAt = rec.switchedAt as number;
  const s = summarize(h, timeFormat('UTC', rec.to));

  it('says it fails on ftp1 since the first dropped channel, and worked until the last ok one before it', () => {
    const dropped = asked(h, 'ftp1', 'dropped');
    const lastOk = asked(h, 'ftp1', 'ok')
      .filter((t) => t <= (dropped[0] as number))
      .at(-1) as number;
    expect(s.status).toBe('failing');
    expect(s.failingHosts).toEqual(['ftp1']);
    expect(s.failingSince).toBe(new Date(dropped[0] as number).toISOString());
    expect(s.lastOkAt).toBe(new Date(lastOk).toISOString());
    expect(s.sentences[0]).toContain(`${h.subject.client} worked on ftp1 until ${hms(lastOk)}`);
    expect(s.sentences[0]).toContain(`since ${hms(dropped[0] as number)}`);
    expect(s.sentences[0]).toContain('dropped by INPUT policy DROP');
  });

  it('counts exactly what the client saw: every failed listing on ftp1, every working one on ftp2', () => {
    const failed = rec.client.failed.ftp1 ?? 0;
    const okFtp2 = rec.client.ok.ftp2 ?? 0;
    expect(failed).toBeGreaterThanOrEqual(4);
    expect(s.sentences[0]).toContain(`all ${failed} of its data channels there failed`);
    expect(s.sentences[0]).toContain(`on ftp2 all ${okFtp2} worked`);
    expect(s.counts).toMatchObject({
      sessions: h.sessions.length,
      hosts: 2,
      failed,
      ok: (rec.client.ok.ftp1 ?? 0) + okFtp2,
    });
  });

  it('names the ruleset change just before it, at the time the profile was switched', () => {
    const change = h.changes.find((c) => c.host === 'ftp1' && Math.abs(c.at - switchedAt) < 2000);
    expect(change).toBeDefined();
    expect(s.change).toEqual({
      id: change?.id,
      host: 'ftp1',
      at: new Date(change?.at as number).toISOString(),
    });
    expect(s.sentences[1]).toBe(
      `Just before, at ${hms(change?.at as number)}, the ruleset of ftp1 changed (+${change?.diff.added.length} −${change?.diff.removed.length} rules).`,
    );
  });

  it('names the diagnosis ftp-helper-not-assigned and its fix as the hub stored them', () => {
    const stored = rec.diagnoses.find((d) => d.kind === 'ftp-helper-not-assigned' && d.host === 'ftp1');
    expect(stored).toBeDefined();
    expect(s.diagnosis).toEqual({
      id: stored?.id,
      kind: 'ftp-helper-not-assigned',
      host: 'ftp1',
      title: stored?.title,
      severity: 'critical',
    });
    expect(s.fix).toEqual(stored?.fix);
    expect(s.fix[0]).toMatch(/-t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp/);
    expect(s.sentences[2]).toContain('Diagnosis ftp-helper-not-assigned (');
    expect(s.sentences[2]).toContain(`fix: ${s.fix[0]} (+${s.fix.length - 1} more lines)`);
  });

  it('prefers the specific cause to a symptom of the same severity that opened closer to the failure', () => {
    const cause = h.diagnoses.find((d) => d.kind === 'ftp-helper-not-assigned');
    if (!cause) throw new Error('no ftp-helper-not-assigned in the recording');
    const since = Date.parse(s.failingSince ?? '');
    const symptom = { ...cause, id: 'symptom', kind: 'drops-after-ruleset-change', firstSeen: since };
    const t = summarize({ ...h, diagnoses: [symptom, ...h.diagnoses] }, timeFormat('UTC', rec.to));
    expect(t.diagnosis?.kind).toBe('ftp-helper-not-assigned');
    const worse = { ...symptom, id: 'worse', kind: 'related-not-accepted' };
    const u = summarize({ ...h, diagnoses: [worse, ...h.diagnoses] }, timeFormat('UTC', rec.to));
    expect(u.diagnosis?.id).toBe('worse');
  });

  it('writes its times in the asker’s zone', () => {
    const inKolkata = summarize(h, timeFormat('Asia/Kolkata', rec.to));
    const change = s.change ? Date.parse(s.change.at) : 0;
    expect(inKolkata.sentences[1]).toContain(`at ${hms(change, 'Asia/Kolkata')},`);
    expect(hms(change, 'Asia/Kolkata')).not.toBe(hms(change));
  });

  it('still names when it last worked when that was before the window', () => {
    const lastOk = asked(h, 'ftp1', 'ok').at(-1) as number;
    const later: History = {
      ...h,
      from: lastOk + 500,
      sessions: h.sessions.filter((x) => x.host === 'ftp1' && x.startedAt > lastOk + 500),
      lastOkBefore: { ftp1: lastOk },
    };
    const t = summarize(later, timeFormat('UTC', rec.to));
    expect(t.status).toBe('failing');
    expect(t.sentences[0]).toContain(`worked on ftp1 until ${hms(lastOk)}`);
    expect(t.change?.id).toBe(s.change?.id);
  });

  it('without any channel that worked, says so and still finds the change within minutes before', () => {
    const onlyFailures: History = {
      ...h,
      sessions: h.sessions.filter(
        (x) => x.host === 'ftp1' && x.attempts.every((a) => a.outcome === 'dropped'),
      ),
      lastOkBefore: {},
    };
    const t = summarize(onlyFailures, timeFormat('UTC', rec.to));
    expect(t.lastOkAt).toBeNull();
    expect(t.sentences[0]).toMatch(
      /^Since \d\d:\d\d:\d\d, all \d+ data channels of 198\.18\.\d+\.100 on ftp1 failed/,
    );
    expect(t.sentences[0]).toContain('none worked before in this window');
    expect(t.change?.id).toBe(s.change?.id);
  });
});

describe('summary on the recorded history: the helper rule put back', () => {
  const rec = loadRecording('helper-restored');
  const s = summarize(rec.history, timeFormat('UTC', rec.to));

  it('says it failed, then works again since the change that put the helper back', () => {
    const failed = rec.history.sessions
      .flatMap((x) => x.attempts)
      .filter((a) => a.outcome !== 'ok')
      .map((a) => a.askedAt)
      .sort((a, b) => a - b);
    const ok = asked(rec.history, 'ftp1', 'ok');
    const fix = rec.history.changes.find((c) => Math.abs(c.at - (rec.switchedAt as number)) < 2000);
    expect(s.status).toBe('recovered');
    expect(s.failingSince).toBe(new Date(failed[0] as number).toISOString());
    expect(s.recoveredAt).toBe(new Date(ok[0] as number).toISOString());
    expect(s.sentences[0]).toMatch(
      new RegExp(
        `^Data channels of ${rec.history.subject.client} on ftp1 failed from ${hms(failed[0] as number)} to ` +
          `${hms(failed.at(-1) as number)} \\(${rec.client.failed.ftp1} channels: .*dropped by INPUT policy DROP.*\\); ` +
          `they work again since ${hms(ok[0] as number)}, after the ruleset change at ${hms(fix?.at as number)}\\.$`,
      ),
    );
    expect(s.diagnosis?.kind).toBe('ftp-helper-not-assigned');
    expect(s.counts.failed).toBe(rec.client.failed.ftp1);
    expect(s.counts.ok).toBe(rec.client.ok.ftp1);
  });
});

describe('summary on the recorded history: a healthy host', () => {
  const rec = loadRecording('all-ok');

  it('says everything worked, with the counts the client saw', () => {
    const s = summarize(rec.history, timeFormat('UTC', rec.to));
    const n = rec.client.ok.ftp1 ?? 0;
    expect(s.status).toBe('ok');
    expect(s.sentences).toEqual([
      `Everything worked for ${rec.history.subject.client} in this window: ${n} sessions on ftp1, ${n} data channels ok.`,
    ]);
    expect(s.change).toBeNull();
    expect(s.diagnosis).toBeNull();
  });

  it('with no sessions in the window, says so', () => {
    const s = summarize({ ...rec.history, sessions: [] }, timeFormat('UTC', rec.to));
    expect(s.status).toBe('idle');
    expect(s.sentences).toEqual([
      `No FTP sessions of ${rec.history.subject.client} between ${hms(rec.history.from)} and ${hms(rec.history.to)}.`,
    ]);
  });

  it('with sessions but no data channel, says it cannot judge and why', () => {
    const logins = rec.history.sessions.map((x) => ({ ...x, attempts: [] }));
    const s = summarize({ ...rec.history, sessions: logins }, timeFormat('UTC', rec.to));
    expect(s.status).toBe('unclear');
    expect(s.sentences[0]).toContain('none asked for a data channel');
  });

  it('names a user and the clients of a host as such', () => {
    const s = summarize({ ...rec.history, subject: { host: 'ftp1' } }, timeFormat('UTC', rec.to));
    expect(s.sentences[0]).toMatch(/^Everything worked for clients of ftp1 in this window/);
    const u = summarize({ ...rec.history, subject: { user: 'anonymous' } }, timeFormat('UTC', rec.to));
    expect(u.sentences[0]).toMatch(/^Everything worked for user anonymous/);
    const failing = loadRecording('helper-removed');
    const f = summarize({ ...failing.history, subject: { host: 'ftp1' } }, timeFormat('UTC', failing.to));
    expect(f.sentences[0]).toMatch(
      /^Clients of ftp1 worked on ftp1 until .* all \d+ of their data channels there failed/,
    );
  });
});

describe('timeFormat', () => {
  it('adds the date when the time is not on the asker’s day, and refuses an unknown zone', () => {
    const now = Date.UTC(2026, 10, 30, 12, 0, 0);
    const fmt = timeFormat('UTC', now);
    expect(fmt(now - 3600_000)).toBe('11:00:00');
    expect(fmt(now - 86_400_000)).toBe('Nov 29 12:00:00');
    expect(fmt(Date.UTC(2025, 0, 2, 3, 4, 5))).toBe('Jan 2, 2025 03:04:05');
    expect(() => timeFormat('Mars/Olympus_Mons', now)).toThrow(/querystring\/tz/);
  });
});
