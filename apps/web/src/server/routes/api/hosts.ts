import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FtpscopeError, HostSummary } from '@ftpscope/shared';
import { Type as T } from '@sinclair/typebox';
import { errors, HostParams, secured } from './schemas.ts';

/** GET /api/hosts and /api/hosts/:host: hosts with connection state and live counts. */
const hosts: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/hosts',
    { schema: { tags: ['hosts'], security: secured, response: { 200: T.Array(HostSummary), ...errors } } },
    async () => app.store.hosts.list(app.now()),
  );
  app.get(
    '/api/hosts/:host',
    {
      schema: {
        tags: ['hosts'],
        security: secured,
        params: HostParams,
        response: { 200: HostSummary, ...errors },
      },
    },
    async (req) => {
      const host = app.store.hosts.get(req.params.host, app.now());
      if (!host) throw new FtpscopeError('FTPSCOPE_ERR_NOT_FOUND', `host ${req.params.host}`);
      return host;
    },
  );
};
export default hosts;
