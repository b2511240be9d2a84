import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Health } from '@ftpscope/shared';
import pkg from '../../../../package.json' with { type: 'json' };

/** GET /api/health: liveness for probes, no auth. */
const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/health', { schema: { tags: ['hub'], response: { 200: Health } } }, async () => ({
    ok: true,
    version: pkg.version,
  }));
};
export default health;
