import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { netlinkSubscribed, whenSubscribed } from './netlink-subscribed.ts';

describe('netlinkSubscribed', () => {
  it('is false for a process without netfilter event sockets, and for one that is gone', () => {
    expect(netlinkSubscribed(process.pid)).toBe(false);
    expect(netlinkSubscribed(2 ** 22 + 17)).toBe(false);
  });

  it('turns true once a real `conntrack -E` has subscribed', async () => {
    const child = spawn('conntrack', ['-E', 'expect'], { stdio: 'ignore' });
    try {
      expect(await whenSubscribed(() => (child.pid === undefined ? [] : [child.pid]), 10_000)).toBe(true);
    } finally {
      child.kill();
    }
  });

  it('does not wait when there is no reader to wait for', async () => {
    const t0 = Date.now();
    expect(await whenSubscribed(() => [], 10_000)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
