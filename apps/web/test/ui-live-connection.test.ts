import type { LiveEvents } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/ui/lib/backoff.ts';
import { LiveConnection } from '../src/ui/lib/live-connection.svelte.ts';

/** A WebSocket stand-in driven by the test: it records what the app sends and lets the test open/close it. */
class FakeSocket {
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  send(s: string) {
    this.sent.push(s);
  }
  close() {
    this.onclose?.({ code: 1000 });
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const frames: (() => void)[] = [];
  const timers: { cb: () => void; ms: number }[] = [];
  let unauthorized = 0;
  const live = new LiveConnection(() => unauthorized++, {
    url: 'ws://test/ws/live',
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s as unknown as WebSocket;
    },
    requestFrame: (cb) => frames.push(cb),
    setTimer: (cb, ms) => timers.push({ cb, ms }),
    clearTimer: () => {},
    random: () => 0.5,
  });
  return { live, sockets, frames, timers, unauthorized: () => unauthorized };
}

const msg = (host: string, n: number): string =>
  JSON.stringify({
    type: 'events',
    host,
    events: [{ kind: 'host', connected: true, at: n }],
  } satisfies LiveEvents);

describe('LiveConnection', () => {
  it('subscribes to all hosts once open', () => {
    const h = harness();
    h.live.start();
    expect(h.live.status).toBe('connecting');
    h.sockets[0]?.onopen?.();
    expect(h.live.status).toBe('connected');
    expect(JSON.parse(h.sockets[0]?.sent[0] ?? '')).toEqual({ type: 'subscribe', hosts: '*' });
  });

  it('hands a burst of messages to handlers in one animation frame, in order', () => {
    const h = harness();
    const batches: LiveEvents[][] = [];
    h.live.onBatch((b) => batches.push(b));
    h.live.start();
    h.sockets[0]?.onopen?.();
    for (let i = 0; i < 500; i++) h.sockets[0]?.onmessage?.({ data: msg(`h${i % 3}`, i) });
    h.sockets[0]?.onmessage?.({ data: 'not json' });
    expect(h.frames).toHaveLength(1);
    expect(batches).toHaveLength(0);
    h.frames[0]?.();
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(500);
    expect(batches[0]?.map((m) => (m.events[0] as { at: number }).at)).toEqual([...Array(500).keys()]);
    h.sockets[0]?.onmessage?.({ data: msg('h0', 1) });
    expect(h.frames).toHaveLength(2);
  });

  it('reconnects with growing backoff and asks listeners to catch up after reconnecting', () => {
    const h = harness();
    let catchUps = 0;
    h.live.onReconnect(() => catchUps++);
    h.live.start();
    h.sockets[0]?.onopen?.();
    expect(catchUps).toBe(0);
    h.sockets[0]?.onclose?.({ code: 1006 });
    expect(h.live.status).toBe('reconnecting');
    h.timers[0]?.cb();
    h.sockets[1]?.onclose?.({ code: 1006 });
    h.timers[1]?.cb();
    expect(h.timers.map((t) => t.ms)).toEqual([backoffDelay(0, () => 0.5), backoffDelay(1, () => 0.5)]);
    expect(h.timers[1]?.ms).toBeGreaterThan(h.timers[0]?.ms ?? 0);
    h.sockets[2]?.onopen?.();
    expect(h.live.status).toBe('connected');
    expect(catchUps).toBe(1);
    expect(h.sockets[2]?.sent).toHaveLength(1);
  });

  it('stops retrying and asks for a login when the hub closes with 4401', () => {
    const h = harness();
    h.live.start();
    h.sockets[0]?.onclose?.({ code: 4401 });
    expect(h.live.status).toBe('unauthorized');
    expect(h.unauthorized()).toBe(1);
    expect(h.timers).toHaveLength(0);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and jitters within the upper half', () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(3, () => 1)).toBe(4000);
    expect(backoffDelay(30, () => 1)).toBe(15_000);
    expect(backoffDelay(30, () => 0)).toBe(7500);
  });
});
