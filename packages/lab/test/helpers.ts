import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { whenSubscribed } from '../../../apps/collector/src/sources/netlink-subscribed.ts';

/** A lab name no concurrent test run will pick: prefix + random base-36 tail, ≤ 8 chars. */
export function uniqueLabName(prefix: string): string {
  const tail = BigInt(`0x${randomBytes(4).toString('hex')}`).toString(36);
  return `${prefix}${tail}`.slice(0, 8);
}

/** Packet count of a chain policy in `iptables-save -c` output, e.g. `:INPUT DROP [3:180]` gives 3. */
export function policyPackets(iptablesSave: string, chain: string): number {
  const m = iptablesSave.match(new RegExp(`^:${chain} \\S+ \\[(\\d+):\\d+\\]`, 'm'));
  if (!m) throw new Error(`no policy line for ${chain} in:\n${iptablesSave}`);
  return Number(m[1]);
}

/** Starts `conntrack -E expect` in a namespace; stop() returns everything it printed. */
export function watchExpectations(netns: string): { ready(): Promise<boolean>; stop(): Promise<string> } {
  const child = spawn('ip', ['netns', 'exec', netns, 'conntrack', '-E', 'expect'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  return {
    /** Resolves once conntrack has subscribed to expectation events (nothing after that is missed). */
    ready: () => whenSubscribed(() => (child.pid === undefined ? [] : [child.pid]), 10_000),
    stop: () =>
      new Promise((resolve) => {
        child.on('close', () => resolve(out));
        child.kill('SIGTERM');
      }),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `pred` every `everyMs` until it holds; throws naming `what` after `ms`. */
export async function until(what: string, pred: () => boolean, ms: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
