import { join } from 'node:path';
import type { FtpSession } from '@ftpscope/shared';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/harness.ts';
import { migrate } from './db.ts';
import { SessionsRepo } from './sessions.ts';

/** What a collector reports of a passive session while it watches it from the start. */
const watched: FtpSession = {
  id: 's-1',
  family: 'ipv4',
  client: { ip: '198.18.1.100', port: 42814 },
  server: { ip: '198.18.1.11', port: 21 },
  state: 'ESTABLISHED',
  helper: 'ftp',
  user: 'bob',
  mode: 'passive',
  tls: true,
  startedAt: 1000,
  endedAt: null,
};

describe('sessions store: upsert by id', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  it('a later report from a restarted collector closes the session without erasing what it cannot know', () => {
    const db = new Database(join(dir, 'hub.db'));
    migrate(db);
    db.prepare("INSERT INTO hosts (name) VALUES ('ftp1')").run();
    const repo = new SessionsRepo(db);
    repo.upsertSession('ftp1', watched);
    // Seen again only at its DESTROY: no helper on the line, mode unknown, start = end = event time.
    repo.upsertSession('ftp1', {
      ...watched,
      state: 'CLOSED',
      helper: null,
      user: null,
      mode: 'unknown',
      tls: false,
      startedAt: 9000,
      endedAt: 9000,
    });
    const [s] = repo.list({ host: 'ftp1', limit: 10 });
    expect(s).toMatchObject({ state: 'CLOSED', helper: 'ftp', user: 'bob', mode: 'passive', tls: true });
    expect(s?.startedAt).toBe(new Date(1000).toISOString());
    expect(s?.endedAt).toBe(new Date(9000).toISOString());
    // A newer, informed report still wins.
    repo.upsertSession('ftp1', { ...watched, mode: 'active', endedAt: 9500 });
    expect(repo.list({ host: 'ftp1', limit: 10 })[0]).toMatchObject({ mode: 'active' });
    db.close();
  });
});

describe('sessions store: data-channel attempts', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterEach(() => cleanup());

  const attempt = (id: string, outcome: 'pending' | 'dropped' | 'ok', askedAt: number) => ({
    id,
    mode: 'passive' as const,
    command: 'PASV',
    address: '198.18.1.11',
    port: 40111,
    askedAt,
    outcome,
    settledAt: outcome === 'pending' ? null : askedAt + 3000,
    bytes: outcome === 'ok' ? 130 : null,
    bytesFrom: outcome === 'ok' ? ('conntrack' as const) : null,
    ruleId: outcome === 'dropped' ? 'r-policy' : null,
    dropSource: outcome === 'dropped' ? ('counters' as const) : null,
    tiedBy: outcome === 'dropped' ? ('time' as const) : ('port' as const),
    expectationId: null,
    dataConnectionId: null,
    reason: null,
  });

  it('stores each attempt by id, updates its outcome, keeps attempts a later report no longer carries, and HOST', () => {
    const db = new Database(join(dir, 'hub.db'));
    migrate(db);
    db.prepare("INSERT INTO hosts (name) VALUES ('ftp1')").run();
    const repo = new SessionsRepo(db);
    repo.upsertSession('ftp1', {
      ...watched,
      requestedHost: '203.0.113.5',
      attempts: [attempt('a1', 'pending', 2000)],
    });
    repo.upsertSession('ftp1', {
      ...watched,
      attempts: [attempt('a1', 'dropped', 2000), attempt('a2', 'ok', 5000)],
    });
    // A report carrying only the latest attempts (the collector keeps 50) leaves the older rows alone.
    repo.upsertSession('ftp1', { ...watched, attempts: [attempt('a2', 'ok', 5000)] });
    const [s] = repo.list({ host: 'ftp1', limit: 10 });
    expect(s?.requestedHost).toBe('203.0.113.5');
    expect(s?.attempts).toEqual([
      expect.objectContaining({
        id: 'a1',
        outcome: 'dropped',
        ruleId: 'r-policy',
        dropSource: 'counters',
        tiedBy: 'time',
        settledAt: new Date(5000).toISOString(),
      }),
      expect.objectContaining({
        id: 'a2',
        outcome: 'ok',
        bytes: 130,
        bytesFrom: 'conntrack',
        askedAt: new Date(5000).toISOString(),
      }),
    ]);
    expect(repo.get('s-1')?.attempts?.length).toBe(2);
  });
});
