import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import { MAX_FRAME_BYTES } from '@ftpscope/shared';
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import pkg from '../../package.json' with { type: 'json' };
import type { HubConfig } from './config.ts';
import diagnoses from './diagnoses/plugin.ts';
import { CollectorAuth } from './ingest/collector-auth.ts';
import installRoutes from './install/routes.ts';
import type { LiveLimits } from './live/live-client.ts';
import auth from './plugins/auth.ts';
import db from './plugins/db.ts';
import errors from './plugins/errors.ts';
import ingest from './plugins/ingest.ts';
import live, { DEFAULT_LIVE_LIMITS } from './plugins/live.ts';
import origin from './plugins/origin.ts';
import securityHeaders from './plugins/security-headers.ts';
import staticUi from './plugins/static.ts';
import tracesPlugin from './plugins/traces.ts';
import collectorTokensRoutes from './routes/api/collector-tokens.ts';
import diagnosesRoutes from './routes/api/diagnoses.ts';
import dropsRoutes from './routes/api/drops.ts';
import healthRoutes from './routes/api/health.ts';
import hostsRoutes from './routes/api/hosts.ts';
import investigateRoutes from './routes/api/investigate.ts';
import loginRoutes from './routes/api/login.ts';
import rulesRoutes from './routes/api/rules.ts';
import sessionStoryRoutes from './routes/api/session-story.ts';
import sessionsRoutes from './routes/api/sessions.ts';
import timelineRoutes from './routes/api/timeline.ts';
import tracesRoutes from './routes/api/traces.ts';
import metricsRoutes from './routes/metrics.ts';
import { DEFAULT_RETENTION, type RetentionPolicy } from './store/index.ts';
import { type HubTls, resolveTls } from './tls/resolve.ts';

/** Everything buildApp needs; tests pass their own clock, limits and temp database. */
export interface AppOptions {
  /** `sqlite:PATH` or `postgres://…` (--store); default: SQLite at `db`. */
  store?: string;
  /** Shorthand for `store: sqlite:FILE` (what tests and --db give). */
  db?: string;
  /** This hub's name among several on one database (--hub-id); default "hub". */
  hubId?: string;
  apiToken: string;
  collectorAuth: CollectorAuth;
  now?: () => number;
  retention?: RetentionPolicy;
  /** 0 disables the retention timer. Default 10 minutes. */
  retentionIntervalMs?: number;
  /** Sustained messages/s per collector before 4429 (burst 100x). Default 1000. */
  collectorRate?: number;
  heartbeatMs?: number;
  liveLimits?: Partial<LiveLimits>;
  uiDir?: string;
  /** Serve HTTPS/WSS with this certificate (its key pin goes into install commands). */
  tls?: HubTls;
  /** The hub's address as FTP hosts and browsers reach it (install commands, Origin check). */
  publicUrl?: string;
  /** Collector packages offered at /downloads/collector/:arch. */
  downloadsDir?: string;
  logger?: FastifyServerOptions['logger'];
  /** Kept for the diagnoses engine's alerts. */
  alertWebhook?: string;
  /** How often the diagnoses run per host; 0 = never by timer (tests call app.diagnoses). Default 1000. */
  diagnosesIntervalMs?: number;
  /** Networks clients elsewhere cannot reach (CIDRs); default RFC 1918, CGNAT, loopback, link-local, ULA. */
  privateNets?: readonly string[];
}

/** Maps the CLI configuration to app options (reads the tokens file and TLS files, so errors surface at start). */
export function optionsFromConfig(c: HubConfig): AppOptions {
  return {
    store: c.store,
    hubId: c.hubId,
    apiToken: c.apiToken,
    collectorAuth: c.tokensFile
      ? CollectorAuth.fromFile(c.tokensFile)
      : c.collectorToken !== undefined
        ? CollectorAuth.single(c.collectorToken)
        : CollectorAuth.none(),
    retention: {
      rawDays: c.rawRetentionDays,
      rollupDays: c.rollupRetentionDays,
      historyDays: c.retentionDays,
    },
    collectorRate: c.collectorRate,
    ...(c.uiDir !== undefined && { uiDir: c.uiDir }),
    tls: resolveTls(c),
    ...(c.publicUrl !== undefined && { publicUrl: c.publicUrl.replace(/\/+$/, '') }),
    ...(c.downloadsDir !== undefined && { downloadsDir: c.downloadsDir }),
    ...(c.alertWebhook !== undefined && { alertWebhook: c.alertWebhook }),
    privateNets: c.privateNets
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean),
    logger: {
      level: c.logLevel,
      // Tokens travel in these headers; they must never reach a log.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
      // The demo's `/?token=` link would otherwise put the API token in every request log line.
      serializers: {
        req: (req: FastifyRequest) => ({
          method: req.method,
          url: redactTokenParams(req.url),
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
    },
  };
}

/** A URL with the values of token-like query parameters replaced, for logs. */
export function redactTokenParams(url: string): string {
  return url.replace(/([?&][^=&#]*token[^=&#]*=)[^&#]*/gi, '$1[redacted]');
}

/** Builds the hub (not listening): plugins, then routes. Close it to release the database. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 64 * 1024,
    // Long ids must reach schema validation (400 naming the parameter), not die as 414.
    routerOptions: { maxParamLength: 1024 },
    ...(opts.tls && { https: { cert: opts.tls.cert, key: opts.tls.key } }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  const now = opts.now ?? Date.now;

  await app.register(errors);
  await app.register(securityHeaders);
  await app.register(websocket, {
    options: { maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false },
    // 1001 (going away) tells collectors and browsers to reconnect later, not that something is wrong.
    preClose(done) {
      for (const client of app.websocketServer.clients) client.close(1001, 'hub shutting down');
      app.websocketServer.close(() => done());
    },
  });
  await app.register(db, {
    store: opts.store ?? `sqlite:${opts.db ?? 'data/ftpscope.db'}`,
    hubId: opts.hubId ?? 'hub',
    now,
    retention: opts.retention ?? DEFAULT_RETENTION,
    retentionIntervalMs: opts.retentionIntervalMs ?? 10 * 60_000,
  });
  await app.register(auth, { apiToken: opts.apiToken });
  await app.register(origin, { ...(opts.publicUrl !== undefined && { publicUrl: opts.publicUrl }) });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'ftpscope hub API',
        version: pkg.version,
        description: 'Times are ISO-8601 UTC. Auth: Bearer API token or the login cookie.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'ftpscope_session' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  await app.register(ingest, {
    auth: opts.collectorAuth,
    rate: opts.collectorRate ?? 1000,
    heartbeatMs: opts.heartbeatMs ?? 30_000,
  });
  await app.register(live, { limits: { ...DEFAULT_LIVE_LIMITS, ...opts.liveLimits } });
  await app.register(tracesPlugin);
  await app.register(diagnoses, {
    ...(opts.alertWebhook !== undefined && { alertWebhook: opts.alertWebhook }),
    ...(opts.diagnosesIntervalMs !== undefined && { intervalMs: opts.diagnosesIntervalMs }),
    ...(opts.privateNets !== undefined && { privateNets: opts.privateNets }),
  });
  await app.register(installRoutes, {
    tlsCert: opts.tls?.cert ?? null,
    ...(opts.publicUrl !== undefined && { publicUrl: opts.publicUrl }),
    ...(opts.downloadsDir !== undefined && { downloadsDir: opts.downloadsDir }),
  });
  for (const routes of [
    healthRoutes,
    loginRoutes,
    hostsRoutes,
    sessionsRoutes,
    sessionStoryRoutes,
    rulesRoutes,
    dropsRoutes,
    timelineRoutes,
    investigateRoutes,
    diagnosesRoutes,
    collectorTokensRoutes,
    tracesRoutes,
    metricsRoutes,
  ]) {
    await app.register(routes);
  }
  await app.register(staticUi, { ...(opts.uiDir !== undefined && { uiDir: opts.uiDir }) });
  return app;
}
