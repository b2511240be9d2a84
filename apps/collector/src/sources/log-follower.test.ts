import { execFileSync } from 'node:child_process';
import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogFollower } from './log-follower.ts';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('LogFollower', () => {
  it('loses no line across rename rotation, truncation and partial lines', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ftpscope-follow-'));
    const path = join(dir, 'vsftpd.log');
    await writeFile(path, 'old\n');
    const got: string[] = [];
    const f = new LogFollower({ path, fromEnd: true, onLines: (l) => got.push(...l), pollMs: 60_000 });
    await f.start();
    await appendFile(path, 'a\nb');
    await f.poll();
    expect(got).toEqual(['a']);
    await appendFile(path, '\nc\n');
    // logrotate: the file is renamed, the writer still appends to it, then a new file appears.
    await rename(path, `${path}.1`);
    await appendFile(`${path}.1`, 'd\ntail-without-newline');
    await writeFile(path, 'e\n');
    await f.poll();
    expect(got).toEqual(['a', 'b', 'c', 'd', 'tail-without-newline', 'e']);
    // copytruncate: the same file shrinks and starts over.
    await truncate(path, 0);
    await f.poll();
    await appendFile(path, 'f\n');
    await f.poll();
    expect(got.at(-1)).toBe('f');
    await f.stop();
  });

  it("hands over a read's lines together, and keeps a character split between two reads whole", async () => {
    dir = await mkdtemp(join(tmpdir(), 'ftpscope-follow-'));
    const path = join(dir, 'proftpd.log');
    await writeFile(path, '');
    const calls: string[][] = [];
    const f = new LogFollower({ path, fromEnd: true, onLines: (l) => calls.push(l), pollMs: 60_000 });
    await f.start();
    // A read takes 64 KiB: the two bytes of "é" straddle the first read's end.
    const long = `${'x'.repeat(64 * 1024 - 1)}é`;
    await appendFile(path, `one\ntwo\n${long.slice(8)}\nthree\n`);
    await f.poll();
    expect(calls.flat()).toEqual(['one', 'two', long.slice(8), 'three']);
    expect(calls[0]).toEqual(['one', 'two']);
    await f.stop();
  });

  it('reads a backlog over several polls (at most 4 MiB each), losing and repeating no line', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ftpscope-follow-'));
    const path = join(dir, 'vsftpd.log');
    await writeFile(path, '');
    const got: string[] = [];
    const f = new LogFollower({ path, fromEnd: true, onLines: (l) => got.push(...l), pollMs: 60_000 });
    await f.start();
    const lines = Array.from({ length: 60_000 }, (_, i) => `${String(i).padStart(8, '0')} ${'x'.repeat(90)}`);
    await appendFile(path, `${lines.join('\n')}\n`); // ~5.7 MiB
    await f.poll();
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(lines.length);
    await f.poll();
    expect(got).toEqual(lines);
    await f.stop();
  });

  it('does not wait on a FIFO: says once that it is not a regular file and reads nothing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ftpscope-follow-'));
    const path = join(dir, 'vsftpd.log');
    execFileSync('mkfifo', [path]);
    const problems: string[] = [];
    const got: string[] = [];
    const f = new LogFollower({
      path,
      fromEnd: true,
      onLines: (l) => got.push(...l),
      onProblem: (m) => problems.push(m),
      pollMs: 60_000,
    });
    await f.start(); // a blocking open would never return: no writer ever opens this FIFO
    await f.poll();
    await f.poll();
    expect(got).toEqual([]);
    expect(problems).toEqual([
      `${path} is not a regular file (a FIFO or a device cannot be followed); name the FTP server's log file with --ftp-log`,
    ]);
    await f.stop();
  });
});
