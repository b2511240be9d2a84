import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { TraceService } from '../traces/trace-service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** On-demand traces of one client on one host. */
    traces: TraceService;
  }
}

/** Creates the trace service over the store, the hub events and the connected collectors. */
export default fp(
  async (app: FastifyInstance) => {
    const traces = new TraceService({
      store: app.store,
      events: app.hubEvents,
      log: app.log,
      now: app.now,
      link: (host) => app.collectors.get(host),
    });
    app.decorate('traces', traces);
    // Before the store closes: a running trace is stored as ended by the hub's stop.
    app.addHook('preClose', async () => {
      await traces.close();
    });
  },
  { name: 'ftpscope-traces', dependencies: ['ftpscope-db', 'ftpscope-ingest'] },
);
