import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CollectorTokenCreate,
  CollectorTokenCreated,
  CollectorTokenView,
  ErrorBody,
  FtpscopeError,
} from '@ftpscope/shared';
import { Type as T } from '@sinclair/typebox';
import { installCommand } from '../../install/install-command.ts';
import { errors, secured } from './schemas.ts';

/** Collector tokens the hub issues: one per FTP host, listed with their last use, revocable at once. */
const collectorTokens: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/collector-tokens',
    {
      schema: {
        tags: ['collectors'],
        security: secured,
        description: 'Issued tokens, newest first; `connected` = a collector uses it now.',
        response: { 200: T.Array(CollectorTokenView), ...errors },
      },
    },
    async () => app.collectorTokens.list(),
  );
  app.post(
    '/api/collector-tokens',
    {
      schema: {
        tags: ['collectors'],
        security: secured,
        description:
          'Issues a token that may report only `host`, and returns it once with the command that installs the ' +
          'collector from this hub. Only its SHA-256 is stored.',
        body: CollectorTokenCreate,
        response: { 201: CollectorTokenCreated, 403: ErrorBody, ...errors },
      },
    },
    async (req, reply) => {
      const install = app.installInfo(req, req.body.hubUrl);
      const { view, token } = await app.collectorTokens.create(req.body.host);
      const command = installCommand({
        hubUrl: install.hubUrl,
        fingerprint: install.fingerprint,
        host: view.host,
        token,
      });
      return reply.code(201).send({ ...view, token, install, command });
    },
  );
  app.delete(
    '/api/collector-tokens/:id',
    {
      schema: {
        tags: ['collectors'],
        security: secured,
        description:
          'Revokes the token: collectors connected with it are closed with 4401 and it is refused from now on.',
        params: T.Object({ id: T.String({ pattern: '^ct_[0-9a-f]{12}$' }) }),
        response: { 200: CollectorTokenView, 403: ErrorBody, ...errors },
      },
    },
    async (req) => {
      const revoked = await app.collectorTokens.revoke(req.params.id);
      if (!revoked) throw new FtpscopeError('FTPSCOPE_ERR_NOT_FOUND', `collector token ${req.params.id}`);
      return revoked;
    },
  );
};
export default collectorTokens;
