import type {} from '@fastify/swagger';
import type {} from '@fastify/websocket';
import { ERRORS } from '@ftpscope/shared';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { bearerToken, type CollectorAuth } from '../ingest/collector-auth.ts';
import { CollectorSession, remoteOf } from '../ingest/collector-session.ts';
import { CollectorTokens } from '../ingest/collector-tokens.ts';
import { HubEvents } from '../ingest/hub-events.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Committed hub events (batches stored, hosts connecting, diagnoses): live fan-out and the engine listen. */
    hubEvents: HubEvents;
    /** Collectors connected now, by host name. */
    collectors: Map<string, CollectorSession>;
    /** Collector tokens the hub issues (Add FTP host), checked after the fixed ones. */
    collectorTokens: CollectorTokens;
  }
}

/** Options of the ingest plugin. */
export interface IngestPluginOptions {
  auth: CollectorAuth;
  rate: number;
  heartbeatMs: number;
}

const UNAUTHORIZED = ERRORS.FTPSCOPE_ERR_UNAUTHORIZED;

/**
 * WS /ws/collector. The token (Authorization: Bearer) is checked after the upgrade so a wrong one gets the
 * documented close code 4401 instead of a bare HTTP error; see CollectorSession for the rest of the protocol.
 */
export default fp(
  async (app: FastifyInstance, opts: IngestPluginOptions) => {
    app.decorate('hubEvents', new HubEvents());
    app.decorate('collectors', new Map<string, CollectorSession>());
    /** Every open collector socket, before and after hello: revoking a token must reach both. */
    const sessions = new Set<CollectorSession>();
    const tokens = new CollectorTokens({ store: app.store, sessions, now: app.now, log: app.log });
    app.decorate('collectorTokens', tokens);
    const ctx = {
      store: app.store,
      events: app.hubEvents,
      log: app.log,
      now: app.now,
      rate: opts.rate,
      connected: app.collectors,
      heartbeatMs: opts.heartbeatMs,
    };
    app.get('/ws/collector', { websocket: true, schema: { hide: true } }, async (socket, req) => {
      const presented = bearerToken(req.headers.authorization);
      let grant = opts.auth.check(presented);
      if (!grant && CollectorTokens.issued(presented)) {
        // The store answers asynchronously: hold the socket's frames (a hello may already be on its way).
        socket.pause();
        grant = await tokens.authenticate(presented).catch((err: unknown) => {
          app.log.error({ err, remote: remoteOf(req.raw) }, 'checking an issued collector token failed');
          return null;
        });
        socket.resume();
      }
      if (!grant) {
        app.log.warn({ remote: remoteOf(req.raw) }, 'collector rejected: wrong or missing token (4401)');
        socket.close(UNAUTHORIZED.close, `FTPSCOPE_ERR_UNAUTHORIZED: ${UNAUTHORIZED.message}`);
        return;
      }
      const session = new CollectorSession(socket, req.raw, grant, ctx);
      sessions.add(session);
      socket.on('close', () => {
        sessions.delete(session);
        if (grant.tokenId !== undefined) tokens.released(grant.tokenId);
      });
    });
  },
  { name: 'ftpscope-ingest', dependencies: ['ftpscope-db'] },
);
