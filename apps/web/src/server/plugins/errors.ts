import { ERRORS, type ErrorCode, FtpscopeError } from '@ftpscope/shared';
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const BY_STATUS: Record<number, ErrorCode> = {
  401: 'FTPSCOPE_ERR_UNAUTHORIZED',
  403: 'FTPSCOPE_ERR_HOST_FORBIDDEN',
  404: 'FTPSCOPE_ERR_NOT_FOUND',
  413: 'FTPSCOPE_ERR_TOO_LARGE',
  429: 'FTPSCOPE_ERR_RATE_LIMIT',
};

/**
 * Every error becomes `{ code, message }` from the catalogue. Validation errors name the parameter
 * (`querystring/from must match format "date-time"`); 5xx never leak details or stacks, they are logged instead.
 */
export default fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((err: FastifyError, req, reply) => {
      if (err instanceof FtpscopeError) {
        return reply.code(err.status).send({ code: err.code, message: err.message });
      }
      if (err.validation) {
        return reply.code(400).send({ code: 'FTPSCOPE_ERR_BAD_PARAM', message: err.message });
      }
      const status = err.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        return reply
          .code(status)
          .send({ code: BY_STATUS[status] ?? 'FTPSCOPE_ERR_BAD_PARAM', message: err.message });
      }
      req.log.error({ err }, 'request failed');
      return reply
        .code(500)
        .send({ code: 'FTPSCOPE_ERR_INTERNAL', message: ERRORS.FTPSCOPE_ERR_INTERNAL.message });
    });
  },
  { name: 'ftpscope-errors' },
);
