import { FtpscopeError } from '@ftpscope/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { bearerToken } from '../ingest/collector-auth.ts';
import { decodePath, needsAuth } from './auth.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Null when the request may act with the browser's cookie; else why not (Origin of another site). */
    originProblem(req: FastifyRequest): string | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origin (scheme://host[:port], default port dropped) of a URL, or null when it is not one. */
function originOf(url: string): string | null {
  try {
    const o = new URL(url).origin;
    return o === 'null' ? null : o;
  } catch {
    return null;
  }
}

/**
 * Defence in depth beside SameSite=Strict: a browser request that acts with the login cookie must come from the
 * hub's own pages. Its Origin must be the address the request was sent to (scheme + Host) or --public-url;
 * state-changing cookie requests must carry one. Bearer-token requests (scripts, Prometheus) are not checked:
 * a browser never adds that header by itself. /ws/live checks in its handler, so the browser gets close 4403.
 */
export default fp(
  async (app: FastifyInstance, opts: { publicUrl?: string }) => {
    const configured = opts.publicUrl === undefined ? null : originOf(opts.publicUrl);

    const originProblem = (req: FastifyRequest): string | null => {
      if (bearerToken(req.headers.authorization) !== undefined) return null;
      const given = req.headers.origin;
      const own = originOf(`${req.protocol}://${req.host}`);
      if (given === undefined) {
        return SAFE_METHODS.has(req.method)
          ? null
          : `${req.method} with the login cookie but no Origin header`;
      }
      const origin = originOf(given);
      if (origin !== null && (origin === own || origin === configured)) return null;
      return `Origin ${given} is not this hub (${[own, configured].filter((o) => o !== null).join(' or ')})`;
    };
    app.decorate('originProblem', originProblem);

    app.addHook('onRequest', async (req) => {
      const path = req.routeOptions.url ?? decodePath(req.url);
      if (!needsAuth(path) && path !== '/api/login') return;
      // Logging in sends the token in the body, not the cookie; only a foreign Origin is refused there.
      if (path === '/api/login' && req.headers.origin === undefined) return;
      const problem = originProblem(req);
      if (problem !== null) {
        req.log.warn({ remote: req.ip, path }, `cross-site request refused: ${problem}`);
        throw new FtpscopeError('FTPSCOPE_ERR_BAD_ORIGIN', problem);
      }
    });
  },
  { name: 'ftpscope-origin', dependencies: ['ftpscope-auth'] },
);
