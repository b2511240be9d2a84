import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ErrorBody,
  FtpscopeError,
  TRACE_LIMITS,
  TraceId,
  TraceRequest,
  type TraceRequester,
  TraceView,
} from '@ftpscope/shared';
import { Type as T } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { toTraceView } from '../../views/traces.ts';
import { errors, HostParams, secured } from './schemas.ts';

const TraceParams = T.Object({ id: TraceId });

/** Who asked, for the audit line: how they authenticated, from where, with what. */
function requester(req: FastifyRequest): TraceRequester {
  return {
    auth: req.headers.authorization ? 'bearer' : 'cookie',
    ip: req.ip.slice(0, 64),
    userAgent: String(req.headers['user-agent'] ?? '').slice(0, 256),
  };
}

/** On-demand traces: start one, stop it, list, read one with its ladder steps, download its pcap. */
const traces: FastifyPluginAsyncTypebox = async (app) => {
  const find = async (id: string) => {
    const t = await app.traces.get(id);
    if (!t) throw new FtpscopeError('FTPSCOPE_ERR_NOT_FOUND', `trace ${id}`);
    return t;
  };

  app.post(
    '/api/hosts/:host/traces',
    {
      schema: {
        tags: ['traces'],
        security: secured,
        description:
          "Traces one client's FTP packets on the host for `durationSeconds` (default 60, at most " +
          `${TRACE_LIMITS.maxDurationMs / 1000}; at most ${TRACE_LIMITS.maxPackets} packets and ` +
          `${TRACE_LIMITS.maxBytes / 1024 / 1024} MiB of pcap). One trace per host at a time. The client must have had ` +
          'an FTP session on the host. Refusals: 404 FTPSCOPE_ERR_TRACE_UNKNOWN_HOST / _UNKNOWN_CLIENT, 400 ' +
          '_BAD_CLIENT / _TOO_LONG, 409 _BUSY / _HOST_OFFLINE, 501 _UNSUPPORTED. Audited in the hub log.',
        params: HostParams,
        body: TraceRequest,
        response: { 201: TraceView, ...errors, 409: ErrorBody, 501: ErrorBody },
      },
    },
    async (req, reply) => {
      const t = await app.traces.start(
        req.params.host,
        req.body.client,
        req.body.durationSeconds,
        requester(req),
      );
      return reply.code(201).send(toTraceView(t));
    },
  );

  app.post(
    '/api/traces/:id/stop',
    {
      schema: {
        tags: ['traces'],
        security: secured,
        description:
          'Stops a running trace; what it captured is kept. A trace that ended already is returned as is.',
        params: TraceParams,
        response: { 200: TraceView, ...errors },
      },
    },
    async (req) => {
      await find(req.params.id);
      app.traces.stop(req.params.id, requester(req));
      return toTraceView(await find(req.params.id));
    },
  );

  app.get(
    '/api/traces',
    {
      schema: {
        tags: ['traces'],
        security: secured,
        description: 'Traces, newest first, without their steps.',
        querystring: T.Object({
          host: T.Optional(HostParams.properties.host),
          limit: T.Optional(T.Integer({ minimum: 1, maximum: 500, default: 50 })),
        }),
        response: { 200: T.Array(TraceView), ...errors },
      },
    },
    async (req) => (await app.traces.list(req.query.host ?? null, req.query.limit ?? 50)).map(toTraceView),
  );

  app.get(
    '/api/traces/:id',
    {
      schema: {
        tags: ['traces'],
        security: secured,
        description: 'One trace with its ladder steps (live while it runs; /ws/live pushes its updates).',
        params: TraceParams,
        response: { 200: TraceView, ...errors },
      },
    },
    async (req) => toTraceView(await find(req.params.id)),
  );

  app.get(
    '/api/traces/:id/pcap',
    {
      schema: {
        tags: ['traces'],
        security: secured,
        description:
          'The trace as a pcap file (open with Wireshark or tcpdump -r): control packets whole with the PASS/ACCT ' +
          'argument masked on the host (same length), data packets cut to their headers. 404 while the trace runs.',
        params: TraceParams,
        response: { 200: T.Unsafe({ type: 'string', format: 'binary' }), ...errors },
      },
    },
    async (req, reply) => {
      const t = await find(req.params.id);
      const pcap = t.endedAt === null ? null : await app.store.traces.pcap(t.id);
      if (!pcap)
        throw new FtpscopeError(
          'FTPSCOPE_ERR_NOT_FOUND',
          `pcap of trace ${t.id} (running, or nothing captured)`,
        );
      const stamp = new Date(t.startedAt).toISOString().replace(/[:.]/g, '-');
      const name = `ftpscope-${t.host}-${t.client.replace(/:/g, '_')}-${stamp}.pcap`;
      return reply
        .type('application/vnd.tcpdump.pcap')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(pcap);
    },
  );
};

export default traces;
