import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Batch, CollectorEvent } from '@ftpscope/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.ts';
import { Spool } from './spool.ts';

/** A logger whose JSON lines land in `lines`, so tests can assert what was logged. */
function captureLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const dest = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: createLogger('debug', dest), lines };
}

const health = (at: number, stats: Record<string, number> = { drop: 0 }): CollectorEvent => ({
  kind: 'health',
  health: {
    at,
    conntrackCount: 1,
    conntrackMax: 262144,
    expectCount: 0,
    expectMax: 256,
    stats,
    acct: false,
    timestamp: false,
    helperRules: [],
  },
});

const parse = (json: string) => JSON.parse(json) as Batch;
const segments = () => readdirSync(dir).filter((f) => f.endsWith('.seg'));
const lines = (name: string) => readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ftpscope-spool-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Spool', () => {
  it('assigns increasing sequences and appends each batch as a line of one segment file', () => {
    const { log } = captureLogger();
    const spool = Spool.open({ dir, log });
    expect(spool.streamId).toMatch(/^[A-Za-z0-9-]{8,64}$/);
    const a = spool.append([health(1)]);
    const b = spool.append([health(2)]);
    expect([a.seq, b.seq]).toEqual([1, 2]);
    expect(parse(b.json)).toMatchObject({ type: 'batch', seq: 2, events: [health(2)] });
    expect(segments()).toHaveLength(1);
    expect(lines(segments()[0] as string)).toEqual([a.json, b.json]);
    expect(spool.unackedSeqs()).toEqual([1, 2]);
  });

  it('ack deletes every batch up to the sequence, and the numbering survives a restart', () => {
    const { log } = captureLogger();
    const spool = Spool.open({ dir, log });
    for (let i = 0; i < 5; i++) spool.append([health(i)]);
    spool.ack(3);
    expect(spool.unackedSeqs()).toEqual([4, 5]);
    expect(lines(segments()[0] as string).at(-1)).toBe('{"done":3}');
    spool.ack(5);

    const again = Spool.open({ dir, log });
    expect(again.streamId).toBe(spool.streamId);
    expect(again.lastSeq).toBe(5);
    expect(again.unackedSeqs()).toEqual([]);
    expect(again.append([health(9)]).seq).toBe(6);
  });

  it('tells when the hub has acknowledged everything, with the bytes appended since it was last empty', () => {
    const { log } = captureLogger();
    const drained: number[] = [];
    const spool = Spool.open({ dir, log, onDrained: (bytes) => drained.push(bytes) });
    const first = [0, 1, 2].reduce((n, i) => n + Buffer.byteLength(spool.append([health(i)]).json), 0);
    spool.ack(2);
    expect(drained).toEqual([]);
    spool.ack(3);
    expect(drained).toEqual([first]);
    spool.ack(3);
    const next = Buffer.byteLength(spool.append([health(4)]).json);
    spool.ack(4);
    expect(drained).toEqual([first, next]);
  });

  it('an ack writes a mark in the segment: stream.json is not rewritten and no file is created', () => {
    const { log } = captureLogger();
    const spool = Spool.open({ dir, log });
    const state = () => readFileSync(join(dir, 'stream.json'), 'utf8');
    const before = state();
    for (let i = 1; i <= 3; i++) {
      spool.append([health(i)]);
      spool.ack(i);
    }
    expect(state()).toBe(before);
    expect(readdirSync(dir).sort()).toEqual([...segments(), 'stream.json'].sort());
    expect(segments()).toHaveLength(1);
    // As after kill -9: nothing is written at stop.
    const again = Spool.open({ dir, log });
    expect(again.streamId).toBe(spool.streamId);
    expect(again.lastSeq).toBe(3);
    expect(again.unackedSeqs()).toEqual([]);
    expect(segments()).toEqual([]); // nothing unacked in it: deleted at open
    expect(again.append([health(9)]).seq).toBe(4);
  });

  it('starts a new segment past 1 MiB and deletes a segment once all its batches are acknowledged', () => {
    const { log } = captureLogger();
    const spool = Spool.open({ dir, log });
    // ~100 KB each: the stats of a host with 6,000 counters
    const stats = Object.fromEntries(Array.from({ length: 6000 }, (_, k) => [`counter_${k}`, k]));
    for (let i = 1; i <= 25; i++) spool.append([health(i, stats)]); // ~2.5 MB: three segments
    expect(segments().length).toBe(3);
    spool.ack(12);
    expect(segments().length).toBe(2); // the first held batches 1–11 (10 full ones and the one past 1 MiB)
    spool.ack(25);
    // The segment being written stays (it holds the numbering); the others went.
    expect(segments().length).toBe(1);
    const again = Spool.open({ dir, log });
    expect(again.lastSeq).toBe(25);
    expect(again.unackedSeqs()).toEqual([]);
    expect(again.append([health(1)]).seq).toBe(26);
  });

  it('an ack after a restart is written to a new segment: acknowledged batches never come back', () => {
    const { log } = captureLogger();
    const spool = Spool.open({ dir, log });
    for (let i = 1; i <= 4; i++) spool.append([health(i)]);
    spool.close();
    const second = Spool.open({ dir, log });
    second.ack(2);
    expect(segments()).toHaveLength(2);
    second.close();
    const third = Spool.open({ dir, log });
    expect(third.unackedSeqs()).toEqual([3, 4]);
    expect([...third.unacked()].map((b) => parse(b.json).seq)).toEqual([3, 4]);
    third.ack(4);
    expect(segments()).toHaveLength(1); // only the one being written, with the mark
    expect(Spool.open({ dir, log }).lastSeq).toBe(4);
  });

  it('reads a spool written before segments (one file per batch, last-acked.json), then deletes those files', () => {
    const { log } = captureLogger();
    const frame = (seq: number) => JSON.stringify({ type: 'batch', seq, sentAt: 0, events: [health(seq)] });
    writeFileSync(join(dir, 'stream.json'), '{"streamId":"0a1b2c3d-legacy","lastSeq":0}\n');
    writeFileSync(join(dir, 'last-acked.json'), frame(6));
    writeFileSync(join(dir, '0000000000000007.batch.json'), frame(7));
    writeFileSync(join(dir, '0000000000000008.batch.json'), frame(8));
    const spool = Spool.open({ dir, log });
    expect(spool.streamId).toBe('0a1b2c3d-legacy');
    expect([...spool.unacked()].map((b) => parse(b.json).seq)).toEqual([7, 8]);
    expect(readdirSync(dir)).not.toContain('last-acked.json');
    spool.ack(8);
    expect(readdirSync(dir).filter((f) => f.endsWith('.batch.json'))).toEqual([]);
    expect(spool.append([health(9)]).seq).toBe(9);
  });

  it('after a restart (no clean shutdown) unacked batches are read back in order', () => {
    const { log } = captureLogger();
    const spool = Spool.open({ dir, log });
    for (let i = 1; i <= 4; i++) spool.append([health(i)]);
    spool.ack(1);
    writeFileSync(join(dir, 'stream.json.tmp'), '{"stream'); // a write cut short

    const again = Spool.open({ dir, log });
    expect(again.lastSeq).toBe(4);
    const resent = [...again.unacked()].map((b) => parse(b.json));
    expect(resent.map((b) => b.seq)).toEqual([2, 3, 4]);
    expect(resent.map((b) => (b.events[0] as { health: { at: number } }).health.at)).toEqual([2, 3, 4]);
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
    expect([...again.unacked(3)].map((b) => b.seq)).toEqual([4]);
  });

  it('when full, drops the oldest batches and records the gap in the next batch', () => {
    const { log, lines } = captureLogger();
    const one = JSON.stringify({ type: 'batch', seq: 1, sentAt: 0, events: [health(0)] }).length;
    const spool = Spool.open({ dir, log, maxBytes: one * 3 + 50, now: () => 42 });
    for (let i = 1; i <= 3; i++) spool.append([health(i)]);
    const fourth = spool.append([health(4)]);
    const seqs = spool.unackedSeqs();
    expect(seqs[seqs.length - 1]).toBe(4);
    expect(seqs[0]).toBeGreaterThan(1);
    expect(spool.size).toBeLessThanOrEqual(spool.maxBytes);
    // The gap goes into the batch that caused the drop.
    const events = parse(fourth.json).events;
    expect(events[0]).toEqual({
      kind: 'gap',
      gap: {
        at: 42,
        source: 'spool',
        reason: expect.stringContaining('spool full'),
        fromSeq: 1,
        toSeq: (seqs[0] ?? 0) - 1,
      },
    });
    expect(events[1]).toEqual(health(4));
    expect(lines.some((l) => l.level === 40 && String(l.msg).includes('spool full'))).toBe(true);
    spool.close();
    expect(Spool.open({ dir, log }).unackedSeqs()).toEqual(seqs);
  });

  it('a dropped batch that carried an earlier gap passes it on: every dropped range stays recorded', () => {
    const { log } = captureLogger();
    const one = JSON.stringify({ type: 'batch', seq: 1, sentAt: 0, events: [health(0)] }).length;
    const spool = Spool.open({ dir, log, maxBytes: one * 3 + 50, now: () => 42 });
    let last = spool.append([health(1)]);
    for (let i = 2; i <= 12; i++) last = spool.append([health(i)]);
    // Every dropped range is still recorded by a batch in the spool (none lost with the batch carrying it).
    const first = spool.unackedSeqs()[0] as number;
    const lost = new Set<number>();
    for (const b of spool.unacked()) {
      for (const e of parse(b.json).events) {
        if (e.kind !== 'gap') continue;
        expect(e.gap).toMatchObject({ source: 'spool', reason: expect.stringContaining('spool full') });
        for (let q = e.gap.fromSeq as number; q <= (e.gap.toSeq as number); q++) lost.add(q);
      }
    }
    expect([...lost].sort((a, b) => a - b)).toEqual(Array.from({ length: first - 1 }, (_, i) => i + 1));
    expect(parse(last.json).events.filter((e) => e.kind === 'gap')[0]).toMatchObject({
      gap: { toSeq: first - 1 },
    });
  });

  it('skips a corrupt batch (or one a crash cut short) with a warning and reports it as a gap', () => {
    const { log, lines: logged } = captureLogger();
    const spool = Spool.open({ dir, log });
    for (let i = 1; i <= 3; i++) spool.append([health(i)]);
    spool.close();
    const seg = join(dir, segments()[0] as string);
    const text = readFileSync(seg, 'utf8');
    const second = text.indexOf('{"type":"batch","seq":2,');
    // batch 2's events damaged in place; batch 3 cut short as by a crash mid-write
    writeFileSync(seg, `${text.slice(0, second + 24)}#${text.slice(second + 25, text.length - 20)}`);

    const again = Spool.open({ dir, log, now: () => 7 });
    expect([...again.unacked()].map((b) => b.seq)).toEqual([1]);
    const warning = logged.find((l) => String(l.msg).includes('corrupt'));
    expect(warning).toMatchObject({ level: 40, path: seg, seq: 2 });
    const next = parse(again.append([health(4)]).json);
    expect(next.seq).toBe(4);
    expect(next.events[0]).toMatchObject({ kind: 'gap', gap: { fromSeq: 2, toSeq: 3 } });
    // Skipped once: opened again, the damaged lines are neither sent nor reported again.
    again.close();
    const warnings = logged.length;
    const third = Spool.open({ dir, log });
    expect([...third.unacked()].map((b) => b.seq)).toEqual([1, 4]);
    expect(logged.slice(warnings).filter((l) => String(l.msg).includes('corrupt'))).toEqual([]);
  });

  it('an ack beyond our numbering (hub knows more) moves the next sequence past it', () => {
    const { log } = captureLogger();
    const spool = Spool.open({ dir, log });
    spool.append([health(1)]);
    spool.ack(10);
    expect(spool.unackedSeqs()).toEqual([]);
    expect(spool.append([health(2)]).seq).toBe(11);
  });

  it('keeps working in memory when the directory is not writable, and logs what to check', () => {
    if (process.getuid?.() === 0) {
      // root ignores permissions: make the spool path a file instead, which fails for everyone.
      rmSync(dir, { recursive: true });
      writeFileSync(dir, 'not a directory');
    } else {
      chmodSync(dir, 0o500);
    }
    const { log, lines } = captureLogger();
    const spool = Spool.open({ dir: join(dir, 'host'), log, memoryMaxBytes: 4096 });
    const seqs = Array.from({ length: 50 }, (_, i) => spool.append([health(i)]).seq);
    expect(seqs[49]).toBe(50);
    expect(spool.size).toBeLessThanOrEqual(4096);
    expect(spool.read(50)?.json).toContain('"seq":50');
    const errors = lines.filter((l) => l.level === 50);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.length).toBeLessThan(5); // rate-limited, not one per batch
    expect(String(errors[0]?.msg)).toContain('--spool');
    rmSync(dir, { recursive: true, force: true });
  });
});
