import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  FtpscopeError,
  RulesetChangeView,
  RuleView,
  SeriesPoint,
  SeriesQuery,
  TimeRangeQuery,
} from '@ftpscope/shared';
import { Type as T } from '@sinclair/typebox';
import { seriesGrid } from '../../store/index.ts';
import { toChangeView, toRuleView, toSeriesPoint } from '../../views/rules.ts';
import { errors, HostParams, secured } from './schemas.ts';
import { DAY, HOUR, timeRange } from './time-range.ts';

/** A week of 1-minute rollups (10,080 buckets, plus the partly covered first minute) fits. */
const MAX_POINTS = 10_100;
const TARGET_POINTS = 300;

/** Rules of a host with counters and drops, one rule's counter series, and the host's ruleset changes. */
const rules: FastifyPluginAsyncTypebox = async (app) => {
  const requireHost = async (host: string) => {
    if (!(await app.store.hosts.get(host, app.now())))
      throw new FtpscopeError('FTPSCOPE_ERR_NOT_FOUND', `host ${host}`);
  };

  app.get(
    '/api/hosts/:host/rules',
    {
      schema: {
        tags: ['rules'],
        security: secured,
        params: HostParams,
        response: { 200: T.Array(RuleView), ...errors },
      },
    },
    async (req) => {
      await requireHost(req.params.host);
      return (await app.store.rules.list(req.params.host, app.now())).map(toRuleView);
    },
  );

  app.get(
    '/api/hosts/:host/rules/:id/series',
    {
      schema: {
        tags: ['rules'],
        security: secured,
        description:
          'Counter deltas per step-wide bucket (default: last hour, ~300 points). Ranges up to 6 h read raw samples, ' +
          'longer ones 1-minute rollups (step rounded up to whole minutes); the tier is in the x-ftpscope-tier header. ' +
          `More than ${MAX_POINTS} points after that rounding is a 400 naming the smallest step that fits.`,
        params: T.Object({
          host: HostParams.properties.host,
          id: T.String({ minLength: 1, maxLength: 128 }),
        }),
        querystring: SeriesQuery,
        response: { 200: T.Array(SeriesPoint), ...errors },
      },
    },
    async (req, reply) => {
      const { host, id } = req.params;
      await requireHost(host);
      if (!(await app.store.rules.exists(host, id)))
        throw new FtpscopeError('FTPSCOPE_ERR_NOT_FOUND', `rule ${id} on ${host}`);
      const { from, to } = timeRange(req.query, app.now(), HOUR);
      const span = Math.max(to - from, 1000);
      const stepMs =
        req.query.step !== undefined
          ? req.query.step * 1000
          : Math.max(1000, Math.ceil(span / TARGET_POINTS / 1000) * 1000);
      // Checked on the buckets actually read: the rollup tier rounds a small step up to whole minutes.
      const grid = seriesGrid(from, to, stepMs);
      if (grid.count > MAX_POINTS) {
        const fits = seriesGrid(from, to, Math.ceil((to - grid.start) / MAX_POINTS / 1000) * 1000);
        throw new FtpscopeError(
          'FTPSCOPE_ERR_BAD_PARAM',
          `querystring/step is too small for the range: ${grid.count} points, at most ${MAX_POINTS}; ` +
            `use step=${fits.step / 1000} or more`,
        );
      }
      const { tier, buckets } = await app.store.rules.series(host, id, from, to, stepMs);
      reply.header('x-ftpscope-tier', tier);
      return buckets.map(toSeriesPoint);
    },
  );

  app.get(
    '/api/hosts/:host/ruleset-changes',
    {
      schema: {
        tags: ['rules'],
        security: secured,
        params: HostParams,
        querystring: TimeRangeQuery,
        response: { 200: T.Array(RulesetChangeView), ...errors },
      },
    },
    async (req) => {
      await requireHost(req.params.host);
      const { from, to } = timeRange(req.query, app.now(), 7 * DAY);
      return (await app.store.rules.changes(req.params.host, from, to)).map(toChangeView);
    },
  );
};
export default rules;
