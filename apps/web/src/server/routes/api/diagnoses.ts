import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DiagnosesQuery, DiagnosisView } from '@ftpscope/shared';
import { Type as T } from '@sinclair/typebox';
import { toDiagnosisView } from '../../views/diagnoses.ts';
import { errors, secured } from './schemas.ts';

/** GET /api/diagnoses: open ones first, then newest (filled by the diagnoses engine). */
const diagnoses: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/diagnoses',
    {
      schema: {
        tags: ['diagnoses'],
        security: secured,
        querystring: DiagnosesQuery,
        response: { 200: T.Array(DiagnosisView), ...errors },
      },
    },
    async (req) => {
      const q = req.query;
      const list = await app.store.diagnoses.list({
        ...(q.host !== undefined && { host: q.host }),
        ...(q.active !== undefined && { active: q.active }),
      });
      return list.map(toDiagnosisView);
    },
  );
};
export default diagnoses;
