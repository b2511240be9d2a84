import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FtpscopeError, InstallInfo } from '@ftpscope/shared';
import { spkiPin } from '@ftpscope/shared/tls-pin';
import { Type as T } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DEFAULT_DOWNLOADS_DIR, INSTALL_DIR } from '../paths.ts';
import { errors, secured } from '../routes/api/schemas.ts';
import { collectorPackages, findCollectorPackage } from './downloads.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Where this hub is (as the request reached it, or --public-url), its key pin and its collector packages. */
    installInfo(req: FastifyRequest, hubUrl?: string): InstallInfo;
  }
}

/** Options of the install routes. */
export interface InstallRoutesOptions {
  /** The certificate the hub serves (null: plain HTTP). */
  tlsCert: Buffer | null;
  publicUrl?: string;
  downloadsDir?: string;
}

/**
 * What an FTP host needs to install a collector from this hub: GET /install.sh and
 * GET /downloads/collector/:arch?format=deb|tar.gz are public (they hold no secret; the token travels in the
 * command), GET /api/install-info needs the API token.
 */
export default fp(
  async (app: FastifyInstance, opts: InstallRoutesOptions) => {
    const script = readFileSync(join(INSTALL_DIR, 'install.sh'));
    const downloads = opts.downloadsDir ?? DEFAULT_DOWNLOADS_DIR;
    const fingerprint = opts.tlsCert ? spkiPin(opts.tlsCert) : null;

    app.decorate(
      'installInfo',
      (req: FastifyRequest, hubUrl?: string): InstallInfo => ({
        hubUrl: (hubUrl ?? opts.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/+$/, ''),
        fingerprint,
        packages: collectorPackages(downloads),
      }),
    );

    app.get('/install.sh', { schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/x-shellscript; charset=utf-8').header('cache-control', 'no-store').send(script),
    );

    app.get(
      '/downloads/collector/:arch',
      {
        schema: {
          tags: ['install'],
          description: 'The collector package for a Debian architecture (public: install.sh fetches it).',
          params: T.Object({ arch: T.String({ pattern: '^[a-z0-9]{1,16}$' }) }),
          querystring: T.Object({
            format: T.Union([T.Literal('deb'), T.Literal('tar.gz')], { default: 'deb' }),
          }),
        },
      },
      async (req, reply) => {
        const { arch } = req.params as { arch: string };
        const { format } = req.query as { format: 'deb' | 'tar.gz' };
        const file = findCollectorPackage(downloads, arch, format);
        if (!file) {
          throw new FtpscopeError(
            'FTPSCOPE_ERR_NO_PACKAGE',
            `${arch} .${format} (the hub looks in ${downloads}; pnpm package writes there)`,
          );
        }
        return reply
          .type(format === 'deb' ? 'application/vnd.debian.binary-package' : 'application/gzip')
          .header('content-disposition', `attachment; filename="${file}"`)
          .send(createReadStream(join(downloads, file)));
      },
    );

    app.get(
      '/api/install-info',
      {
        schema: {
          tags: ['install'],
          security: secured,
          description:
            "The hub's address (--public-url, else the one this request used), its certificate key pin and the " +
            'collector packages it offers: what the Add FTP host dialog fills in.',
          response: { 200: InstallInfo, ...errors },
        },
      },
      async (req) => app.installInfo(req),
    );
  },
  { name: 'ftpscope-install' },
);
