import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { openStore, type RetentionPolicy, type Store } from '../store/index.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The hub's storage (the Store interface; the engine stays inside store/). */
    store: Store;
    /** The hub's clock (injected in tests). */
    now: () => number;
  }
}

/** Options of the db plugin. */
export interface DbPluginOptions {
  /** `sqlite:PATH` or `postgres://…` (--store). */
  store: string;
  hubId: string;
  now: () => number;
  retention: RetentionPolicy;
  /** How often retention runs (ms); 0 disables the timer (tests call pruneOnce). */
  retentionIntervalMs: number;
}

/** Opens the store at start (a locked, corrupt or unreachable store fails here, clearly), prunes on a timer. */
export default fp(
  async (app: FastifyInstance, opts: DbPluginOptions) => {
    const store = await openStore(opts.store, {
      now: opts.now,
      retention: opts.retention,
      hubId: opts.hubId,
      log: app.log.child({ hub: opts.hubId }),
    });
    try {
      await store.disconnectAll();
    } catch (err) {
      await store.close();
      throw err;
    }
    app.decorate('store', store);
    app.decorate('now', opts.now);
    app.log.info({ store: store.location, hub: store.hubId }, 'store opened');
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
