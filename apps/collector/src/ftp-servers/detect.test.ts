import { spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stillRunning } from './detect.ts';

describe('stillRunning', () => {
  it('is true while the same program runs under the pid, false for another command line or once it exits', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    const pid = child.pid as number;
    // Until exec has replaced node's fork with sleep (within 5 s even on a slow machine).
    const exe = () => {
      try {
        return readlinkSync(`/proc/${pid}/exe`);
      } catch {
        return '';
      }
    };
    for (const t0 = Date.now(); !exe().endsWith('/sleep') && Date.now() - t0 < 5000; )
      await new Promise((r) => setTimeout(r, 10));
    const proc = { port: 21, pid, exe: exe(), argv: ['sleep', '30'] };
    expect(proc.exe).toMatch(/\/sleep$/);
    expect(await stillRunning(proc)).toBe(true);
    expect(await stillRunning({ ...proc, argv: ['sleep', '31'] })).toBe(false);
    expect(await stillRunning({ ...proc, exe: '/usr/sbin/vsftpd' })).toBe(false);
    child.kill('SIGKILL');
    await exited;
    expect(await stillRunning(proc)).toBe(false);
  });
});
