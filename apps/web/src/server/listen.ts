import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { urlHost } from './listen-address.ts';

/** Where the hub listens: the main address (TLS or not) and an optional plain-HTTP loopback one. */
export interface ListenPlan {
  host: string;
  port: number;
  tls: boolean;
  plain?: { host: string; port: number };
}

/** The URLs the hub answers on, ports resolved. */
export interface Listening {
  url: string;
  plainUrl?: string;
}

function boundPort(server: Server): number {
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

/**
 * Listens on the main address and, when planned, serves the same app over plain HTTP on a loopback address:
 * requests go through Fastify's router and WebSocket upgrades to the same handlers, so both listeners are one hub.
 * Call before `ready` (it adds a close hook for the second server).
 */
export async function listenHub(app: FastifyInstance, plan: ListenPlan): Promise<Listening> {
  let plain: Server | undefined;
  if (plan.plain) {
    const server = createServer((req, res) => app.routing(req, res));
    // Fastify's timeouts, not Node's defaults: with Node's 5 s keep-alive, a client reusing an idle connection
    // as the server closes it gets "other side closed" (seen in CI on the package test's API calls).
    server.keepAliveTimeout = app.server.keepAliveTimeout;
    server.headersTimeout = app.server.headersTimeout;
    server.requestTimeout = app.server.requestTimeout;
    server.on('upgrade', (req, socket, head) => app.server.emit('upgrade', req, socket, head));
    plain = server;
    app.addHook('onClose', async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    });
  }
  await app.listen({ host: plan.host, port: plan.port });
  const url = `${plan.tls ? 'https' : 'http'}://${urlHost(plan.host, boundPort(app.server))}`;
  if (!plain || !plan.plain) return { url };
  const { host, port } = plan.plain;
  await new Promise<void>((done, fail) => {
    plain.once('error', fail);
    plain.listen(port, host, () => done());
  });
  return { url, plainUrl: `http://${urlHost(host, boundPort(plain))}` };
}
