import type { CollectorEvent, DataConnection, Expectation, FtpSession } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import { type ConntrackRecord, parseConntrack } from '../sources/conntrack-parse.ts';
import { parseReader } from '../sources/ctreader-parse.ts';
import { type ExpectRecord, parseExpect } from '../sources/expect-parse.ts';
import { SessionModel } from './sessions.ts';

const DIR = 'ctreader/0.1.0';

function newModel() {
  const events: CollectorEvent[] = [];
  const model = new SessionModel({
    host: 'h1',
    ftpPorts: [21],
    passiveRange: () => [40000, 40100],
    emit: (e) => events.push(e),
  });
  const latest = () => {
    const by = <T extends { id: string }>(xs: T[]) => [...new Map(xs.map((x) => [x.id, x])).values()];
    return {
      sessions: by(events.flatMap((e): FtpSession[] => (e.kind === 'session' ? [e.session] : []))),
      expectations: by(
        events.flatMap((e): Expectation[] => (e.kind === 'expectation' ? [e.expectation] : [])),
      ),
      data: by(events.flatMap((e): DataConnection[] => (e.kind === 'data' ? [e.data] : []))),
    };
  };
  return { model, events, latest };
}

/** The native reader's events in order (one socket: expectations and connections as the kernel made them). */
function replayNative(file: string) {
  const m = newModel();
  let at = 0;
  for (const r of parseReader(fixture(file)).records) {
    if (r.kind !== 'ct' && r.kind !== 'exp') continue;
    at = r.rec.at ?? at;
    if (r.kind === 'ct') m.model.applyConntrack(r.rec, at);
    else m.model.applyExpect(r.rec, at);
  }
  m.model.tick(at + 10_000);
  return m;
}

/** The conntrack tool's two streams of the same traffic, merged by time as the collector receives them. */
function replayTool(ctFile: string, expFile: string) {
  const m = newModel();
  const all: ({ at: number; ct: ConntrackRecord } | { at: number; ex: ExpectRecord })[] = [
    ...parseExpect(fixture(expFile)).records.map((ex) => ({ at: ex.at as number, ex })),
    ...parseConntrack(fixture(ctFile)).records.map((ct) => ({ at: ct.at as number, ct })),
  ].sort((a, b) => a.at - b.at);
  for (const x of all) {
    if ('ct' in x) m.model.applyConntrack(x.ct, x.at);
    else m.model.applyExpect(x.ex, x.at);
  }
  m.model.tick((all.at(-1)?.at ?? 0) + 10_000);
  return m;
}

describe('SessionModel with the native reader (master tuples)', () => {
  it('ties every data connection to its control session exactly, as the tool path does by expectation', () => {
    const native = replayNative(`${DIR}/events-healthy.txt`).latest();
    const tool = replayTool(
      `${DIR}/tool-events-healthy.txt`,
      `${DIR}/tool-expect-events-healthy.txt`,
    ).latest();
    expect(native.data.length).toBeGreaterThanOrEqual(5);
    const sessions = new Map(native.sessions.map((s) => [s.id, s]));
    for (const d of native.data) {
      expect(d).toMatchObject({ attribution: 'expectation', related: true });
      const s = sessions.get(d.sessionId ?? '');
      expect(s, `session of ${d.id}`).toBeDefined();
      expect(s?.mode).toBe(d.mode);
      const e = native.expectations.find((x) => x.id === d.expectationId);
      expect(e?.fulfilledAt).not.toBeNull();
      expect(e?.sessionId).toBe(d.sessionId);
    }
    expect(new Set(native.data.map((d) => d.mode))).toEqual(new Set(['passive', 'active']));
    // Same sessions, data connections and expectations, with the same ids, as from the tool's text.
    const pick = <T>(xs: T[], f: (x: T) => unknown) =>
      xs.map(f).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    expect(pick(native.sessions, (s) => [s.id, s.state, s.helper, s.mode])).toEqual(
      pick(tool.sessions, (s) => [s.id, s.state, s.helper, s.mode]),
    );
    expect(pick(native.data, (d) => [d.id, d.sessionId, d.expectationId, d.mode, d.state])).toEqual(
      pick(tool.data, (d) => [d.id, d.sessionId, d.expectationId, d.mode, d.state]),
    );
    expect(pick(native.expectations, (e) => [e.id, e.sessionId, e.port])).toEqual(
      pick(tool.expectations, (e) => [e.id, e.sessionId, e.port]),
    );
  });

  it('no helper: passive data connections in the range are attributed by heuristic', () => {
    const r = replayNative(`${DIR}/events-nohelper.txt`).latest();
    expect(r.expectations).toEqual([]);
    expect(r.data.length).toBeGreaterThanOrEqual(2);
    expect(r.data.every((d) => d.attribution === 'heuristic' && d.mode === 'passive' && d.sessionId)).toBe(
      true,
    );
  });

  it('a listing alone shows a transfer in progress: passive session, its expectation and data connection, in any order', () => {
    const listed = parseReader(fixture(`${DIR}/list-healthy.txt`)).records.flatMap((r) =>
      r.kind === 'ct' ? [r.rec] : [],
    );
    for (const order of [listed, [...listed].reverse()]) {
      const { model, latest } = newModel();
      model.beginResync(5000);
      model.finishResync(order, [], 5000, true);
      const r = latest();
      const d = r.data.find((x) => x.state === 'ESTABLISHED');
      expect(d).toMatchObject({ attribution: 'expectation', mode: 'passive', related: true });
      const s = r.sessions.find((x) => x.id === d?.sessionId);
      expect(s).toMatchObject({ state: 'ESTABLISHED', mode: 'passive', helper: 'ftp' });
      expect(r.expectations.find((e) => e.id === d?.expectationId)).toMatchObject({
        sessionId: s?.id,
        mode: 'passive',
        port: d?.serverPort,
        fulfilledAt: 5000,
      });
      // Every listed data connection found its session, whatever came first in the dump.
      expect(r.data.every((x) => x.sessionId !== null)).toBe(true);
    }
  });

  it('a resync that lists data connections closes the ones the kernel no longer has; the tool listing does not', () => {
    for (const dataListed of [true, false]) {
      const { model, latest } = replayNative(`${DIR}/events-healthy.txt`);
      // Still in the kernel's table when the recording ended (TIME_WAIT), never destroyed.
      const open = latest().data.filter((d) => d.state !== 'CLOSED');
      expect(open.length).toBeGreaterThan(0);
      model.beginResync(9e12);
      model.finishResync([], [], 9e12, dataListed);
      const after = latest().data.filter((d) => open.some((o) => o.id === d.id));
      expect(after.every((d) => d.state === 'CLOSED')).toBe(dataListed);
    }
  });

  it('emits only changes: a repeated event is not sent again', () => {
    const { model, events } = newModel();
    const recs = parseReader(fixture(`${DIR}/events-healthy.txt`)).records.flatMap((r) =>
      r.kind === 'ct' ? [r.rec] : [],
    );
    const first = recs[0] as ConntrackRecord;
    model.applyConntrack(first, 1);
    const n = events.length;
    model.applyConntrack(first, 2);
    model.applyConntrack({ ...first, event: 'UPDATE', timeout: 50 }, 3);
    expect(events.length).toBe(n);
    model.applyConntrack({ ...first, event: 'UPDATE', state: 'ESTABLISHED' }, 4);
    expect(events.length).toBe(n + 1);
  });
});
