import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FtpscopeError, SessionsQuery, SessionView } from '@ftpscope/shared';
import { Type as T } from '@sinclair/typebox';
import { toSessionView } from '../../views/sessions.ts';
import { errors, HostParams, secured } from './schemas.ts';
import { optionalRange } from './time-range.ts';

/** GET /api/hosts/:host/sessions and /api/sessions/:id. */
const sessions: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/hosts/:host/sessions',
    {
      schema: {
        tags: ['sessions'],
        security: secured,
        params: HostParams,
        querystring: SessionsQuery,
        response: { 200: T.Array(SessionView), ...errors },
      },
    },
    async (req) => {
      const { host } = req.params;
      if (!(await app.store.hosts.get(host, app.now())))
        throw new FtpscopeError('FTPSCOPE_ERR_NOT_FOUND', `host ${host}`);
      const q = req.query;
      const sessions = await app.store.sessions.list({
        host,
        ...optionalRange(q),
        ...(q.active !== undefined && { active: q.active }),
        ...(q.client !== undefined && { client: q.client }),
        limit: q.limit ?? 500,
      });
      return sessions.map(toSessionView);
    },
  );
  app.get(
    '/api/sessions/:id',
    {
      schema: {
        tags: ['sessions'],
        security: secured,
        params: T.Object({ id: T.String({ minLength: 1, maxLength: 128 }) }),
        response: { 200: SessionView, ...errors },
      },
    },
    async (req) => {
      const s = await app.store.sessions.get(req.params.id);
      if (!s) throw new FtpscopeError('FTPSCOPE_ERR_NOT_FOUND', `session ${req.params.id}`);
      return toSessionView(s);
    },
  );
};
export default sessions;
