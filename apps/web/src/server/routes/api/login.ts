import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, FtpscopeError, LoginBody } from '@ftpscope/shared';
import { Type as T } from '@sinclair/typebox';
import { secured } from './schemas.ts';

/** Browser login: POST /api/login exchanges the API token for an HttpOnly cookie; logout clears it. */
const login: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/login',
    {
      schema: {
        tags: ['auth'],
        body: LoginBody,
        response: { 204: T.Null(), 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (req, reply) => {
      if (!app.checkApiToken(req.body.token)) {
        req.log.warn({ remote: req.ip }, 'login with a wrong API token');
        throw new FtpscopeError('FTPSCOPE_ERR_UNAUTHORIZED');
      }
      app.setSessionCookie(reply, true);
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/api/logout',
    { schema: { tags: ['auth'], security: secured, response: { 204: T.Null(), 401: ErrorBody } } },
    async (_req, reply) => {
      app.setSessionCookie(reply, false);
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/api/session-check',
    { schema: { tags: ['auth'], security: secured, response: { 204: T.Null(), 401: ErrorBody } } },
    async (_req, reply) => reply.code(204).send(null),
  );
};
export default login;
