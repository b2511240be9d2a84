import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FtpscopeError, TIMELINE_TRUNCATED_HEADER, TimelineItem, TimelineQuery } from '@ftpscope/shared';
import { Type as T } from '@sinclair/typebox';
import { TIMELINE_MAX_ROWS as MAX_ROWS } from '../../store/index.ts';
import { timelineItems } from '../../views/timeline.ts';
import { errors, secured } from './schemas.ts';
import { DAY, timeRange } from './time-range.ts';

/** GET /api/timeline: one client (address or FTP user) across hosts, or one host, merged and ordered; default: last 24 h. */
const timeline: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/timeline',
    {
      schema: {
        tags: ['timeline'],
        security: secured,
        description:
          'Give client=IP, user=NAME or host=NAME (all clients of that host). Items: sessions, expectations, data ' +
          'connections (problem when never established), drops from/to the client, and the ruleset changes, ' +
          'rule-drops (packets a drop/reject rule or DROP policy counted, per rule per minute: the trace of a data ' +
          'channel dropped without NFLOG), diagnoses and gaps of the hosts involved. ref is the session id for ' +
          'session/expectation/data items, the rule id for rule-drops, else the id of the drop/change/diagnosis/gap. ' +
          `Each kind of record is read up to ${MAX_ROWS} rows; when a kind has more, the header ` +
          'x-ftpscope-truncated is true and the timeline ends before the first row left out (complete up to its ' +
          'last item): narrow the window to see the rest. Otherwise the header is false.',
        querystring: TimelineQuery,
        response: { 200: T.Array(TimelineItem), ...errors },
      },
    },
    async (req, reply) => {
      const q = req.query;
      if (q.client === undefined && q.user === undefined && q.host === undefined) {
        throw new FtpscopeError(
          'FTPSCOPE_ERR_BAD_PARAM',
          'querystring/client, querystring/user or querystring/host is required',
        );
      }
      const records = await app.store.timeline({
        ...timeRange(q, app.now(), DAY),
        ...(q.client !== undefined && { client: q.client }),
        ...(q.user !== undefined && { user: q.user }),
        ...(q.host !== undefined && { host: q.host }),
      });
      reply.header(TIMELINE_TRUNCATED_HEADER, String(records.truncated));
      return timelineItems(records);
    },
  );
};
export default timeline;
