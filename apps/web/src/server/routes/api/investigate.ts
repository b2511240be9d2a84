import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  FtpscopeError,
  InvestigateListPage,
  InvestigateListQuery,
  InvestigateQuery,
  InvestigateView,
} from '@ftpscope/shared';
import { chartOf } from '../../investigate/chart.ts';
import { entriesOf, pageOf } from '../../investigate/groups.ts';
import type { Subject } from '../../investigate/history.ts';
import { loadHistory, MAX_SESSIONS } from '../../investigate/load-history.ts';
import { subjectLabel, summarize } from '../../investigate/summary.ts';
import { timeFormat } from '../../investigate/time-format.ts';
import { errors, secured } from './schemas.ts';
import { HOUR, timeRange } from './time-range.ts';

/** The longest window one question may cover: the chart and the list stay readable, the queries bounded. */
const MAX_WINDOW_MS = 7 * 24 * HOUR;

function subjectOf(q: InvestigateQuery): Subject {
  if (q.client === undefined && q.user === undefined && q.host === undefined) {
    throw new FtpscopeError(
      'FTPSCOPE_ERR_BAD_PARAM',
      'querystring/client, querystring/user or querystring/host is required',
    );
  }
  return {
    ...(q.client !== undefined && { client: q.client }),
    ...(q.user !== undefined && { user: q.user }),
    ...(q.host !== undefined && { host: q.host }),
  };
}

function windowOf(q: InvestigateQuery, now: number): { from: number; to: number } {
  const w = timeRange(q, now, HOUR);
  if (w.to - w.from > MAX_WINDOW_MS)
    throw new FtpscopeError('FTPSCOPE_ERR_BAD_PARAM', 'querystring/from..to may span at most 7 days');
  return w;
}

/** GET /api/investigate (summary, chart, first page of the grouped list) and GET /api/investigate/list (a page). */
const investigate: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/investigate',
    {
      schema: {
        tags: ['investigate'],
        security: secured,
        description:
          'Answers "FTP stopped working for this client (user, host) around this time": a summary of one to three ' +
          'sentences computed from the recorded history (since when it fails, on which hosts, the ruleset change ' +
          'just before, the diagnosis and its fix; or that everything worked, with counts), the timeline chart ' +
          '(a lane per host, sessions by outcome, ruleset changes with their diff, diagnosis spans, drops per ' +
          'minute) and the first page of the grouped list. Default window: the last hour; at most 7 days. ' +
          `At most ${MAX_SESSIONS} sessions are read (truncated says so). tz (IANA, default UTC) is the zone the ` +
          'sentences write times in.',
        querystring: InvestigateQuery,
        response: { 200: InvestigateView, ...errors },
      },
    },
    async (req) => {
      const q = req.query;
      const subject = subjectOf(q);
      const { from, to } = windowOf(q, app.now());
      const fmt = timeFormat(q.tz, app.now());
      const h = await loadHistory(app.store, subject, from, to);
      return {
        subject: subjectLabel(subject),
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        summary: summarize(h, fmt),
        chart: chartOf(h),
        list: pageOf(entriesOf(h), 0, 50),
        truncated: h.truncated,
      };
    },
  );

  app.get(
    '/api/investigate/list',
    {
      schema: {
        tags: ['investigate'],
        security: secured,
        description:
          'One page of the grouped list for the window, or for the part of it brushed on the chart: identical ' +
          'consecutive sessions of a client on a host collapsed with their count (expandable: up to 200 session ' +
          'ids each), ruleset changes, diagnoses and gaps, oldest first.',
        querystring: InvestigateListQuery,
        response: { 200: InvestigateListPage, ...errors },
      },
    },
    async (req) => {
      const q = req.query;
      const subject = subjectOf(q);
      const { from, to } = windowOf(q, app.now());
      const h = await loadHistory(app.store, subject, from, to);
      return pageOf(entriesOf(h), q.offset ?? 0, q.limit ?? 50);
    },
  );
};
export default investigate;
