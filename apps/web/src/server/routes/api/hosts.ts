import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FtpscopeError, HostHealthView, HostSummary } from '@ftpscope/shared';
import { Type as T } from '@sinclair/typebox';
import { toHostHealthView } from '../../views/events.ts';
import { toHostSummary } from '../../views/hosts.ts';
import { errors, HostParams, secured } from './schemas.ts';

/** GET /api/hosts and /api/hosts/:host: hosts with connection state and live counts; /health: netfilter health. */
const hosts: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/hosts',
    { schema: { tags: ['hosts'], security: secured, response: { 200: T.Array(HostSummary), ...errors } } },
    async () => (await app.store.hosts.list(app.now())).map(toHostSummary),
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
      const host = await app.store.hosts.get(req.params.host, app.now());
      if (!host) throw new FtpscopeError('FTPSCOPE_ERR_NOT_FOUND', `host ${req.params.host}`);
      return toHostSummary(host);
    },
  );
  app.get(
    '/api/hosts/:host/health',
    {
      schema: {
        tags: ['hosts'],
        security: secured,
        description:
          'The newest netfilter health sample (conntrack fill and statistics, accounting, FTP helper rules) and the ' +
          "FTP server's settings as the collector last reported them. Each is null until the host's collector sent " +
          'one (it sends health when something changes, at least once a minute); 404 for a host never seen.',
        params: HostParams,
        response: { 200: HostHealthView, ...errors },
      },
    },
    async (req) => {
      if (!(await app.store.hosts.get(req.params.host, app.now())))
        throw new FtpscopeError('FTPSCOPE_ERR_NOT_FOUND', `host ${req.params.host}`);
      return toHostHealthView(await app.store.events.hostHealth(req.params.host));
    },
  );
};
export default hosts;
