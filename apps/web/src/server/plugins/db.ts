import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type RetentionPolicy, Store } from '../store/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The hub's storage (repositories over SQLite). */
    store: Store;
    /** The hub's clock (injected in tests). */
    now: () => number;
  }
}

/** Options of the db plugin. */
export interface DbPluginOptions {
  file: string;
  now: () => number;
  retention: RetentionPolicy;
  /** How often retention runs (ms); 0 disables the timer (tests call pruneOnce). */
  retentionIntervalMs: number;
}

/** Opens the store at start (a locked or corrupt file fails here, clearly), prunes on a timer, closes on exit. */
export default fp(
  async (app: FastifyInstance, opts: DbPluginOptions) => {
    const store = new Store(opts.file, { now: opts.now, retention: opts.retention });
    store.hosts.disconnectAll();
    app.decorate('store', store);
    app.decorate('now', opts.now);
    if (opts.retentionIntervalMs > 0) {
      store.retention.start(opts.retentionIntervalMs, (err) =>
        app.log.error({ err }, 'retention pruning failed'),
      );
    }
    app.addHook('onClose', async () => {
      await store.close();
    });
  },
  { name: 'ftpscope-db' },
);
