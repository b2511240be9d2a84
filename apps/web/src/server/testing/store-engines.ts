import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openStore, type Store, type StoreOptions } from '../store/index.ts';
import { PgCluster } from './pg-cluster.ts';

/** The engines every store contract test and storage-touching route test runs against. */
export const ENGINES = ['sqlite', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];

let cluster: PgCluster | null = null;
let starting: Promise<PgCluster> | null = null;
let users = 0;
/** A database migrated once per cluster: each test's database is a copy of it (CREATE DATABASE … TEMPLATE). */
const TEMPLATE = 'ftpscope_template';

async function startCluster(): Promise<PgCluster> {
  const c = await PgCluster.start();
  await c.sql(`CREATE DATABASE ${TEMPLATE}`);
  const store = await openStore(c.url(TEMPLATE), { now: Date.now });
  await store.close();
  return c;
}

/**
 * Inside a describe: when the engine is PostgreSQL, one cluster is shared by the test file (started before its
 * first test, stopped and removed after its last); each test still gets a fresh database (freshStoreSpec).
 */
export function useEngine(engine: Engine): void {
  if (engine !== 'postgres') return;
  beforeAll(async () => {
    users += 1;
    starting ??= startCluster();
    cluster = await starting;
  });
  afterAll(async () => {
    users -= 1;
    if (users > 0 || !cluster) return;
    const c = cluster;
    cluster = null;
    starting = null;
    await c.stop();
  });
}

/** The file's running cluster (after useEngine('postgres')). */
export function pgCluster(): PgCluster {
  if (!cluster) throw new Error("no PostgreSQL cluster: call useEngine('postgres') in the describe");
  return cluster;
}

/** A fresh, empty store location of an engine (a `--store` value) and its cleanup. */
export async function freshStoreSpec(
  engine: Engine,
): Promise<{ spec: string; cleanup: () => Promise<void> }> {
  if (engine === 'postgres') {
    const c = pgCluster();
    const spec = await c.createDatabase('test', TEMPLATE);
    const name = new URL(spec).pathname.slice(1);
    return { spec, cleanup: async () => void (await c.sql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'ftpscope-hub-'));
  return {
    spec: `sqlite:${join(dir, 'hub.db')}`,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
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
