// @vitest-environment happy-dom
import type { SessionView } from '@ftpscope/shared';
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import App from '../src/ui/App.svelte';
import { ApiClient } from '../src/ui/lib/api-client.ts';
import { AuthState } from '../src/ui/lib/auth.svelte.ts';
import { Clock } from '../src/ui/lib/clock.svelte.ts';
import type { AppServices } from '../src/ui/lib/context.ts';
import { FleetStore } from '../src/ui/lib/fleet-store.svelte.ts';
import { LiveConnection } from '../src/ui/lib/live-connection.svelte.ts';
import { liveHostsFor, widens } from '../src/ui/lib/live-scope.ts';
import { Router } from '../src/ui/lib/router.svelte.ts';
import { parseHash } from '../src/ui/lib/routes.ts';
import { Theme } from '../src/ui/lib/theme.svelte.ts';

/** A WebSocket stand-in: records what the app sends; the test opens and closes it. */
class FakeSocket {
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  send(s: string) {
    this.sent.push(JSON.parse(s));
  }
  close() {
    this.onclose?.({ code: 1000 });
  }
}

const session: SessionView = {
  id: 's1',
  host: 'beta',
  client: { ip: '198.18.0.5', port: 40000 },
  server: { ip: '198.18.0.1', port: 21 },
  state: 'ESTABLISHED',
  helper: 'ftp',
  user: null,
  mode: 'passive',
  tls: false,
  startedAt: '2025-01-01T12:00:00.000Z',
  endedAt: null,
  expectations: [],
  dataConnections: [],
};

const mounted: ReturnType<typeof mount>[] = [];
afterEach(() => {
  for (const m of mounted.splice(0)) unmount(m);
  document.body.innerHTML = '';
  window.location.hash = '';
});

/** The whole App over a fake hub: REST answers `session` for /api/sessions/s1 and 404 elsewhere. */
function app(hash: string) {
  window.location.hash = hash;
  const sockets: FakeSocket[] = [];
  const timers: (() => void)[] = [];
  const auth = new AuthState();
  // The session itself; its story (/api/sessions/s1/story) is not this test's business: a 404 like any other.
  const api = new ApiClient(auth, async (url) =>
    url === '/api/sessions/s1'
      ? new Response(JSON.stringify(session), { status: 200 })
      : url.startsWith('/api/drops')
        ? new Response('[]', { status: 200 })
        : new Response(JSON.stringify({ code: 'X', message: 'no' }), { status: 404 }),
  );
  const live = new LiveConnection(() => auth.unauthorized(), {
    url: 'ws://test/ws/live',
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s as unknown as WebSocket;
    },
    requestFrame: (cb) => cb(),
    setTimer: (cb) => timers.push(cb),
    clearTimer: () => {},
    random: () => 0.5,
  });
  const services: AppServices = {
    api,
    auth,
    live,
    fleet: new FleetStore(api),
    router: new Router(),
    clock: new Clock(0),
    theme: new Theme(),
  };
  let widened = 0;
  live.onWiden(() => widened++);
  live.start();
  const target = document.createElement('div');
  document.body.append(target);
  mounted.push(mount(App, { target, props: { services } }));
  flushSync();
  /** Go to `h` the way a link does (hashchange), then let the App's effect run. */
  const go = async (h: string) => {
    window.location.hash = h;
    await vi.waitFor(() => expect(services.router.route).toEqual(parseHash(h)));
    flushSync();
  };
  return { sockets, timers, services, go, widened: () => widened };
}

describe('live subscription per route', () => {
  it('maps each view to the hosts it shows', () => {
    expect(liveHostsFor(parseHash('#/'))).toBe('*');
    expect(liveHostsFor(parseHash('#/hosts/alpha?client=198.18.0.5'))).toEqual(['alpha']);
    expect(liveHostsFor(parseHash('#/drops?host=alpha'))).toEqual(['alpha']);
    expect(liveHostsFor(parseHash('#/drops'))).toBe('*');
    expect(liveHostsFor(parseHash('#/diagnoses?host=alpha'))).toEqual(['alpha']);
    expect(liveHostsFor(parseHash('#/diagnoses'))).toBe('*');
    expect(liveHostsFor(parseHash('#/investigate?client=198.18.0.5&host=alpha'))).toBe('*');
    expect(liveHostsFor(parseHash('#/sessions/s1'))).toBeNull();
    expect(liveHostsFor(parseHash('#/nowhere'))).toEqual([]);
    expect(widens(['a'], ['a'])).toBe(false);
    expect(widens(['a', 'b'], ['b'])).toBe(false);
    expect(widens(['a'], ['b'])).toBe(true);
    expect(widens(['a'], '*')).toBe(true);
    expect(widens('*', ['a'])).toBe(false);
  });

  it('subscribes to the host view’s host only, and re-subscribes on the same socket as the route changes', async () => {
    const h = app('#/hosts/alpha');
    h.sockets[0]?.onopen?.();
    expect(h.sockets[0]?.sent).toEqual([{ type: 'subscribe', hosts: ['alpha'] }]);

    await h.go('#/hosts/alpha?client=198.18.0.5'); // a filter inside the view: same hosts, nothing sent
    expect(h.sockets[0]?.sent).toHaveLength(1);

    await h.go('#/');
    await h.go('#/diagnoses?host=gamma');
    await h.go('#/diagnoses');
    await h.go('#/drops?host=alpha');
    await h.go('#/investigate');
    expect(h.sockets).toHaveLength(1);
    expect(h.sockets[0]?.sent.slice(1)).toEqual([
      { type: 'subscribe', hosts: '*' },
      { type: 'subscribe', hosts: ['gamma'] },
      { type: 'subscribe', hosts: '*' },
      { type: 'subscribe', hosts: ['alpha'] },
      { type: 'subscribe', hosts: '*' },
    ]);
    // host -> fleet and gamma -> all hosts followed hosts not followed before: the fleet catches up from REST
    expect(h.widened()).toBe(3);
  });

  it('follows the session’s host once the session view knows it', async () => {
    const h = app('#/hosts/alpha');
    h.sockets[0]?.onopen?.();
    await h.go('#/sessions/s1');
    await vi.waitFor(() => expect(h.sockets[0]?.sent.at(-1)).toEqual({ type: 'subscribe', hosts: ['beta'] }));
    expect(h.sockets[0]?.sent).toHaveLength(2);
  });

  it('subscribes to the current route’s hosts after a reconnect, not the first route’s', async () => {
    const h = app('#/');
    h.sockets[0]?.onopen?.();
    expect(h.sockets[0]?.sent).toEqual([{ type: 'subscribe', hosts: '*' }]);
    h.sockets[0]?.onclose?.({ code: 1006 });
    await h.go('#/hosts/delta'); // changed while disconnected: sent when the socket is back
    expect(h.sockets[0]?.sent).toHaveLength(1);
    h.timers[0]?.();
    expect(h.sockets).toHaveLength(2);
    expect(h.sockets[1]?.sent).toEqual([]);
    h.sockets[1]?.onopen?.();
    expect(h.sockets[1]?.sent).toEqual([{ type: 'subscribe', hosts: ['delta'] }]);
    expect(h.services.live.status).toBe('connected');
  });
});
