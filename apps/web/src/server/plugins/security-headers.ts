import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** CSP for the Svelte UI: own scripts only; inline styles for Svelte's style attributes; same-origin WebSocket. */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Sensible response headers everywhere; /docs keeps the CSP swagger-ui sets for itself. */
export default fp(
  async (app: FastifyInstance) => {
    app.addHook('onSend', async (_req, reply) => {
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-frame-options', 'DENY');
      reply.header('cross-origin-opener-policy', 'same-origin');
      if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', UI_CSP);
    });
  },
  { name: 'ftpscope-security-headers' },
);
