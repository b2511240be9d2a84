import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { FtpscopeError } from '@ftpscope/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { bearerToken } from '../ingest/collector-auth.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** True when the request carries the API token (Bearer header or login cookie). */
    isAuthenticated(req: FastifyRequest): boolean;
    /** Sets or clears the login cookie. */
    setSessionCookie(reply: FastifyReply, on: boolean): void;
    /** Checks a token offered at login. */
    checkApiToken(token: string): boolean;
  }
}

/** Name of the HttpOnly cookie POST /api/login sets. */
export const SESSION_COOKIE = 'ftpscope_session';
const COOKIE_MAX_AGE_S = 30 * 86_400;

/** Paths anyone may reach: health for probes, login to get the cookie. The UI's static files are public too. */
const PUBLIC_API = new Set(['/api/health', '/api/login']);

/** True for paths behind the API token: the API, /metrics and /docs. WebSockets check in their handler. */
export function needsAuth(path: string): boolean {
  if (PUBLIC_API.has(path)) return false;
  return (
    path.startsWith('/api/') ||
    path === '/api' ||
    path === '/metrics' ||
    path === '/docs' ||
    path.startsWith('/docs/')
  );
}

/** The request path without its query, percent-decoded when possible. */
export function decodePath(url: string): string {
  const raw = url.split('?')[0] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Reads one cookie from the Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * API auth: `Authorization: Bearer API_TOKEN`, or the cookie POST /api/login sets. The cookie holds an HMAC of the
 * token, not the token: stateless (survives hub restarts, so browsers reconnect by themselves), useless elsewhere,
 * and invalidated by changing the token. Comparisons are constant-time over SHA-256 digests.
 */
export default fp(
  async (app: FastifyInstance, opts: { apiToken: string }) => {
    const tokenDigest = digest(opts.apiToken);
    const cookieValue = createHmac('sha256', opts.apiToken)
      .update('ftpscope-ui-session-v1')
      .digest('base64url');
    const cookieDigest = digest(cookieValue);

    const checkApiToken = (token: string) => timingSafeEqual(digest(token), tokenDigest);
    const isAuthenticated = (req: FastifyRequest): boolean => {
      const bearer = bearerToken(req.headers.authorization);
      if (bearer !== undefined) return checkApiToken(bearer);
      const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
      return cookie !== undefined && timingSafeEqual(digest(cookie), cookieDigest);
    };
    app.decorate('checkApiToken', checkApiToken);
    app.decorate('isAuthenticated', isAuthenticated);
    app.decorate('setSessionCookie', (reply: FastifyReply, on: boolean) => {
      // Secure on HTTPS only: the same hub also serves plain HTTP on loopback (--plain-listen).
      const secure = reply.request.protocol === 'https';
      const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
      const value = on
        ? `${SESSION_COOKIE}=${cookieValue}; Max-Age=${COOKIE_MAX_AGE_S}`
        : `${SESSION_COOKIE}=; Max-Age=0`;
      reply.header('set-cookie', [value, ...attrs].join('; '));
    });

    app.addHook('onRequest', async (req) => {
      // The matched route pattern, not the raw URL: the router decodes %61pi to api, a raw check would not.
      const path = req.routeOptions.url ?? decodePath(req.url);
      if (needsAuth(path) && !isAuthenticated(req)) throw new FtpscopeError('FTPSCOPE_ERR_UNAUTHORIZED');
    });
  },
  { name: 'ftpscope-auth' },
);
