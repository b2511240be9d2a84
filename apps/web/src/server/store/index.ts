import type { RetentionPolicy } from './retention-policy.ts';
import type { Store, StoreLog } from './store.ts';
import { parseStoreSpec } from './store-spec.ts';

export { HostTakenError, StoreOpenError, StreamMovedError } from './errors.ts';
export * from './records.ts';
export { DEFAULT_RETENTION, type RetentionPolicy } from './retention-policy.ts';
export { RAW_TIER_MAX_MS, seriesGrid } from './series-grid.ts';
export type * from './store.ts';
export { DEFAULT_STORE, maskPassword, parseStoreSpec } from './store-spec.ts';

/** What every engine needs: the hub's clock and the retention policy. */
export interface StoreOptions {
  now: () => number;
  retention?: RetentionPolicy;
  /** Rows deleted per chunk by SQLite's retention (tests make it small). */
  pruneChunkRows?: number;
  /** This hub's name, for an engine several hubs share (default "hub"). */
  hubId?: string;
  /** Where the engine reports outages and recoveries (default: nowhere). */
  log?: StoreLog;
}

const SILENT: StoreLog = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Opens the store named by --store (`sqlite:PATH` or `postgres://…`) and applies pending migrations. The
 * engine's module is loaded only when chosen. Throws StoreOpenError with what to do.
 */
export async function openStore(spec: string, opts: StoreOptions): Promise<Store> {
  const parsed = parseStoreSpec(spec);
  if (parsed.engine === 'sqlite') {
    const { SqliteStore } = await import('./sqlite/sqlite-store.ts');
    return new SqliteStore(parsed.file, opts);
  }
  const { PgStore } = await import('./postgres/pg-store.ts');
  return PgStore.open(parsed.url, {
    now: opts.now,
    hubId: opts.hubId ?? 'hub',
    log: opts.log ?? SILENT,
    ...(opts.retention && { retention: opts.retention }),
  });
}
