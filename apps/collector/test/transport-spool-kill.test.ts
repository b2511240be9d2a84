import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Spool } from '../src/transport/spool.ts';
import { captureLogger } from './transport-helpers.ts';

const TSX = resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');
const SPOOL = resolve(import.meta.dirname, '../src/transport/spool.ts');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ftpscope-kill-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('batches appended before a kill -9 are all there after a restart, with the same stream', () => {
  // A real collector-like process appends, acks some, and is killed with SIGKILL (no exit handlers run).
  const script = join(dir, 'writer.ts');
  writeFileSync(
    script,
    `import { Spool } from ${JSON.stringify(SPOOL)};
     import { pino } from 'pino';
     const spool = Spool.open({ dir: process.argv[2], log: pino({ level: 'silent' }) });
     for (let i = 1; i <= 200; i++) {
       spool.append([{ kind: 'sync', at: i, activeSessionIds: [String(i)] }]);
       if (i === 50) spool.ack(50);
     }
     console.log(spool.streamId);
     process.kill(process.pid, 'SIGKILL');`,
  );
  const run = spawnSync(TSX, [script, join(dir, 'spool')], { encoding: 'utf8', cwd: import.meta.dirname });
  expect(['SIGKILL', 137], run.stderr).toContain(run.signal ?? run.status); // tsx relays the kill as 128+9
  const streamId = run.stdout.trim();

  const { log } = captureLogger();
  const spool = Spool.open({ dir: join(dir, 'spool'), log });
  expect(spool.streamId).toBe(streamId);
  expect(spool.lastSeq).toBe(200);
  const batches = [...spool.unacked()].map((b) => JSON.parse(b.json));
  expect(batches.map((b) => b.seq)).toEqual(Array.from({ length: 150 }, (_, i) => i + 51));
  expect(batches.every((b) => b.events[0].at === b.seq)).toBe(true);
  expect(spool.append([]).seq).toBe(201);
});
