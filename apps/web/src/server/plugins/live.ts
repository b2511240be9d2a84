import type {} from '@fastify/swagger';
import type {} from '@fastify/websocket';
import { ERRORS, type LiveEvent } from '@ftpscope/shared';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { remoteOf } from '../ingest/collector-session.ts';
import { LiveClient, type LiveLimits } from '../live/live-client.ts';
import { LiveHub } from '../live/live-hub.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Browsers on /ws/live. */
    live: LiveHub;
  }
}

const UNAUTHORIZED = ERRORS.FTPSCOPE_ERR_UNAUTHORIZED;
const BAD_ORIGIN = ERRORS.FTPSCOPE_ERR_BAD_ORIGIN;

/** Default live fan-out limits. */
export const DEFAULT_LIVE_LIMITS: LiveLimits = {
  highWaterBytes: 1024 * 1024,
  maxQueued: 200_000,
  retryMs: 50,
};

/**
 * WS /ws/live for browsers: authenticated like the API (cookie or Bearer; 4401 otherwise), then
 * `{type:'subscribe', hosts:'*'|[...]}`; the hub answers with each followed host's connection state and then
 * streams LiveEvents as batches commit.
 */
export default fp(
  async (app: FastifyInstance, opts: { limits: LiveLimits }) => {
    const hub = new LiveHub(app.hubEvents);
    app.decorate('live', hub);
    // What collectors on the other hubs of a shared database sent (nothing with SQLite).
    app.store.feed.subscribe({
      onChange: (c) => {
        if (c.kind === 'batch') hub.publish(c.host, c.events);
        else if (c.kind === 'host') hub.publish(c.host, [{ kind: 'host', connected: c.connected, at: c.at }]);
        else hub.publish(c.diagnosis.host, [{ kind: 'diagnosis', diagnosis: c.diagnosis }]);
      },
      follows: (host) => hub.follows(host),
      following: () => hub.following(),
    });
    app.get('/ws/live', { websocket: true, schema: { hide: true } }, (socket, req) => {
      const remote = remoteOf(req.raw);
      if (!app.isAuthenticated(req)) {
        app.log.warn({ remote }, 'live client rejected: wrong or missing API token (4401)');
        socket.close(UNAUTHORIZED.close, `FTPSCOPE_ERR_UNAUTHORIZED: ${UNAUTHORIZED.message}`);
        return;
      }
      // A page of another site cannot open the live stream with the browser's cookie (cross-site WebSocket).
      const problem = app.originProblem(req);
      if (problem !== null) {
        app.log.warn({ remote }, `live client refused: ${problem} (4403)`);
        socket.close(BAD_ORIGIN.close, 'FTPSCOPE_ERR_BAD_ORIGIN');
        return;
      }
      const client = new LiveClient(socket, remote, {
        log: app.log,
        limits: opts.limits,
        now: app.now,
        onSubscribe: (c) => {
          app.store.hosts.list(app.now()).then(
            (hosts) => {
              for (const h of hosts) {
                const state: LiveEvent = {
                  kind: 'host',
                  connected: h.connected,
                  at: h.lastSeen ?? app.now(),
                };
                c.enqueue(h.name, [state]);
              }
            },
            (err: unknown) => app.log.warn({ err, remote }, 'live subscribe: could not read the hosts'),
          );
        },
      });
      hub.add(client);
      socket.on('close', () => hub.remove(client));
    });
  },
  { name: 'ftpscope-live', dependencies: ['ftpscope-ingest', 'ftpscope-auth', 'ftpscope-origin'] },
);
