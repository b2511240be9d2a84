import { join } from 'node:path';
import { openStore, type Store, type StoreOptions } from '../store/index.ts';
import { tempDir } from './harness.ts';

/** The engines every store contract test and storage-touching route test runs against. */
export const ENGINES = ['sqlite'] as const;
export type Engine = (typeof ENGINES)[number];

/** A fresh, empty store location of an engine (`--store` value) and its cleanup. */
export async function freshStoreSpec(
  engine: Engine,
): Promise<{ spec: string; cleanup: () => Promise<void> }> {
  const { dir, cleanup } = tempDir();
  return { spec: `sqlite:${join(dir, `${engine}.db`)}`, cleanup: async () => cleanup() };
}

/** A fresh store of an engine; close() also removes it. */
export async function freshStore(
  engine: Engine,
  opts: Partial<StoreOptions> = {},
): Promise<{ store: Store; spec: string; close: () => Promise<void> }> {
  const { spec, cleanup } = await freshStoreSpec(engine);
  const store = await openStore(spec, { now: Date.now, ...opts });
  return {
    store,
    spec,
    close: async () => {
      await store.close();
      await cleanup();
    },
  };
}
