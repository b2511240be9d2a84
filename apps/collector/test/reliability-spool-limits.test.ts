import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CollectorMessage, MAX_BATCH_EVENTS } from '@ftpscope/shared';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from '../src/transport/spool.ts';
import { captureLogger, sessionEvent } from './transport-helpers.ts';

/** The hub's own check (ingest/collector-session.ts): a frame failing it is closed with 4422 and resent forever. */
const hubCheck = TypeCompiler.Compile(CollectorMessage);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ftpscope-spool-limits-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sessions = (n: number, from = 0) => Array.from({ length: n }, (_, i) => sessionEvent(`s-${from + i}`));

describe('spool frames always pass the hub schema', () => {
  it('promise: a full batch after a spool overflow (gap prefixed) still fits MAX_BATCH_EVENTS', () => {
    const { log } = captureLogger();
    // Small cap: the next full batch forces the oldest out, which prefixes a gap event to it.
    const spool = Spool.open({ dir, log, maxBytes: 2_000_000 });
    for (let i = 0; i < 3; i++) spool.append(sessions(MAX_BATCH_EVENTS, i * MAX_BATCH_EVENTS));
    const frames = [...spool.unacked()].map((b) => JSON.parse(b.json));
    expect(frames.some((f) => f.events.some((e: { kind: string }) => e.kind === 'gap'))).toBe(true);
    for (const f of frames) {
      expect(f.events.length).toBeLessThanOrEqual(MAX_BATCH_EVENTS);
      expect(hubCheck.Check(f), JSON.stringify([...hubCheck.Errors(f)].slice(0, 1))).toBe(true);
    }
  });

  it('promise: a snapshot larger than MAX_BATCH_EVENTS (a busy host) is split, in order, nothing lost', () => {
    const { log } = captureLogger();
    const spool = Spool.open({ dir, log });
    const n = MAX_BATCH_EVENTS * 2 + 17;
    spool.append(sessions(n));
    const frames = [...spool.unacked()].map((b) => JSON.parse(b.json));
    expect(frames.length).toBe(3);
    for (const f of frames) expect(hubCheck.Check(f)).toBe(true);
    const ids = frames.flatMap((f) => f.events.map((e: { session: { id: string } }) => e.session.id));
    expect(ids).toEqual(sessions(n).map((e) => (e.kind === 'session' ? e.session.id : '')));
  });
});
