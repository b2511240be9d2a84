import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../test/reliability-helpers.ts';
import { PgCluster } from '../../testing/pg-cluster.ts';
import { openStore, StoreOpenError } from '../index.ts';

const open = (url: string) => openStore(url, { now: Date.now });

// What an operator sees when --store points at a database the hub cannot use: the URL (password masked), the
// cause, and what to do.
describe('opening PostgreSQL: errors name the URL and the cause', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await PgCluster.start();
    await cluster.sql('CREATE DATABASE owned');
    // A role that may log in and read, but not create tables: the schema belongs to someone else.
    await cluster.sql("CREATE ROLE weak LOGIN PASSWORD 'hunter2-secret'");
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('nothing listening: cannot reach, with the cause', async () => {
    const url = `postgres://ftpscope:hunter2-secret@127.0.0.1:${await freePort()}/ftpscope`;
    const err = await open(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreOpenError);
    expect((err as Error).message).toMatch(
      /^cannot reach PostgreSQL at postgres:\/\/ftpscope:\*\*\*@127\.0\.0\.1:\d+\/ftpscope: .*ECONNREFUSED.*is the server running/,
    );
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('a database that does not exist: says to create it', async () => {
    const err = await open(cluster.url('nosuchdb')).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/database "nosuchdb" does not exist \(3D000\); create it/);
  });

  it('a role without rights on the schema: says the role lacks rights', async () => {
    const err = await open(cluster.url('owned', 'weak', 'hunter2-secret')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreOpenError);
    expect((err as Error).message).toMatch(
      /^PostgreSQL at postgres:\/\/weak:\*\*\*@127\.0\.0\.1:\d+\/owned: the role lacks rights: permission denied for schema public \(42501\)/,
    );
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('a role that may: opens, migrates, and opens again without re-applying', async () => {
    await cluster.sql('CREATE ROLE hub LOGIN');
    await cluster.sql('CREATE DATABASE hubdb OWNER hub');
    const url = cluster.url('hubdb', 'hub');
    const first = await open(url);
    const version = await first.schemaVersion();
    expect(version).toBeGreaterThanOrEqual(2);
    await first.close();
    const again = await open(url);
    expect(await again.schemaVersion()).toBe(version);
    expect(await again.integrityCheck()).toBe('ok');
    await again.close();
  });
});
