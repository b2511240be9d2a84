import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DropsQuery, DropView, GapsQuery, GapView } from '@ftpscope/shared';
import { Type as T } from '@sinclair/typebox';
import { toDropView, toGapView } from '../../views/events.ts';
import { errors, secured } from './schemas.ts';
import { HOUR, timeRange } from './time-range.ts';

/** GET /api/drops (NFLOG packets) and GET /api/gaps (what collectors could not see); default: last 24 h. */
const drops: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/drops',
    {
      schema: {
        tags: ['drops'],
        security: secured,
        querystring: DropsQuery,
        response: { 200: T.Array(DropView), ...errors },
      },
    },
    async (req) => {
      const q = req.query;
      const drops = await app.store.events.drops({
        ...timeRange(q, app.now(), 24 * HOUR),
        ...(q.host !== undefined && { host: q.host }),
        ...(q.client !== undefined && { client: q.client }),
        limit: q.limit ?? 1000,
      });
      return drops.map(toDropView);
    },
  );
  app.get(
    '/api/gaps',
    {
      schema: {
        tags: ['drops'],
        security: secured,
        querystring: GapsQuery,
        response: { 200: T.Array(GapView), ...errors },
      },
    },
    async (req) => {
      const q = req.query;
      const gaps = await app.store.events.gaps({
        ...timeRange(q, app.now(), 24 * HOUR),
        ...(q.host !== undefined && { host: q.host }),
        limit: q.limit ?? 1000,
      });
      return gaps.map(toGapView);
    },
  );
};
export default drops;
