import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type {} from '@fastify/swagger';
import { FtpscopeError } from '@ftpscope/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ASSETS_DIR, DEFAULT_UI_DIR } from '../paths.ts';

/** Shown instead of the UI when it was not built yet. */
export const PLACEHOLDER_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ftpscope hub</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}code{background:#eee;padding:.1em .3em}</style>
</head><body>
<h1>ftpscope hub is running</h1>
<p>The web UI has not been built yet. Run <code>pnpm build</code> in the repository, then reload this page.</p>
<p>The API works already: <code>GET /api/health</code>, and <a href="/docs">/docs</a> (needs the API token).</p>
</body></html>
`;

/** The hub's icon, served whether or not the UI is built (browsers ask /favicon.ico on every page). */
const ICONS = [
  { path: '/favicon.ico', type: 'image/x-icon' },
  { path: '/favicon.svg', type: 'image/svg+xml' },
].map((i) => ({ ...i, body: readFileSync(join(ASSETS_DIR, i.path)) }));

/**
 * Vite names every built script, style and chunk under assets/ by its content hash, so a browser may keep them
 * for good and a page load asks the hub only for index.html (revalidated each time, so a new build shows at once).
 */
function cacheHeaders(res: { setHeader(name: string, value: string): unknown }, path: string): void {
  const hashed = /[\\/]assets[\\/][^\\/]+-[\w-]{8,}\.\w+$/.test(path);
  res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
}

/** Paths that never fall back to the UI's index.html. */
function isApiPath(url: string): boolean {
  return /^\/(api|ws|docs|metrics)(\/|\?|$)/.test(url);
}

/**
 * Serves the built Svelte UI (public: it holds no data; the API behind it needs the token). Unknown GET paths
 * that accept HTML get index.html so the UI's own URLs work on reload; API paths get a JSON 404.
 */
export default fp(
  async (app: FastifyInstance, opts: { uiDir?: string }) => {
    const root = opts.uiDir ?? DEFAULT_UI_DIR;
    const built = existsSync(join(root, 'index.html'));
    for (const icon of ICONS) {
      app.get(icon.path, { schema: { hide: true } }, async (_req, reply) =>
        reply.type(icon.type).header('cache-control', 'public, max-age=86400').send(icon.body),
      );
    }
    if (built) {
      await app.register(fastifyStatic, {
        root,
        wildcard: true,
        index: 'index.html',
        dotfiles: 'deny',
        cacheControl: false,
        setHeaders: cacheHeaders,
      });
    } else {
      app.log.warn({ uiDir: root }, 'web UI not built: serving a placeholder page (run pnpm build)');
      app.get('/', { schema: { hide: true } }, async (_req, reply) =>
        reply.type('text/html').send(PLACEHOLDER_HTML),
      );
    }
    app.setNotFoundHandler(async (req: FastifyRequest, reply: FastifyReply) => {
      const wantsHtml = req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
      if (!wantsHtml || isApiPath(req.url))
        throw new FtpscopeError('FTPSCOPE_ERR_NOT_FOUND', `${req.method} ${req.url.split('?')[0]}`);
      if (!built) return reply.type('text/html').send(PLACEHOLDER_HTML);
      return reply.sendFile('index.html');
    });
  },
  { name: 'ftpscope-static' },
);
