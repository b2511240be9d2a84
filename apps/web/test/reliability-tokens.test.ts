import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '@ftpscope/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSocket } from '../src/server/testing/harness.ts';
import {
  freePort,
  HUB_MAIN,
  type HubProcess,
  ROOT,
  startHub,
  tsxArgv,
  until,
  workDir,
} from './reliability-helpers.ts';

const API_TOKEN = 'api-SECRET-4f1c2b9a7e';
const COLLECTOR_TOKEN = 'collector-SECRET-9d8e7f6a5b';
const OTHER_TOKEN = 'collector-SECRET-only-beta-1234';

let hub: HubProcess;
let tokensFile = '';
const { dir, cleanup } = workDir('tokens');

/** `pnpm hub hash-token TOKEN`: the line an operator appends to the tokens file. */
function hashToken(token: string): string {
  const r = spawnSync(process.execPath, tsxArgv(HUB_MAIN, ['hash-token', token]), {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

beforeAll(async () => {
  tokensFile = join(dir, 'tokens');
  writeFileSync(
    tokensFile,
    `# collectors\n${hashToken(COLLECTOR_TOKEN)} alpha\n${hashToken(OTHER_TOKEN)} beta\n`,
  );
  // trace: the most verbose level must not leak a token either.
  hub = await startHub({
    port: await freePort(),
    db: join(dir, 'hub.db'),
    apiToken: API_TOKEN,
    tokensFile,
    logLevel: 'trace',
  });
}, 60_000);
afterAll(async () => {
  await hub?.stop();
  cleanup();
});

function helloFor(host: string) {
  return {
    type: 'hello',
    protocolVersion: PROTOCOL_VERSION,
    host,
    collectorVersion: '0.1.0',
    kernel: '6.1.0-test',
    backends: [],
    capabilities: [],
    streamId: `stream-${host}`,
    lastSeq: 0,
  };
}

describe('tokens', () => {
  it('promise: the tokens file holds only SHA-256 hashes, and a collector authenticates with the token they hash', async () => {
    const text = readFileSync(tokensFile, 'utf8');
    expect(text).not.toContain(COLLECTOR_TOKEN);
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^[0-9a-f]{64} \S+$/);
    }
    const ws = `ws://127.0.0.1:${hub.port}/ws/collector`;
    const ok = TestSocket.collector(ws, COLLECTOR_TOKEN);
    await ok.opened;
    ok.send(helloFor('alpha'));
    expect((await ok.welcome()).lastSeq).toBe(0);
    ok.close();
    // The token may report only its hosts; the hash itself is not a token.
    const forbidden = TestSocket.collector(ws, OTHER_TOKEN);
    await forbidden.opened;
    forbidden.send(helloFor('alpha'));
    expect((await forbidden.closed).code).toBe(4403);
    const hashAsToken = TestSocket.collector(ws, text.split('\n')[1]?.split(' ')[0]);
    expect((await hashAsToken.closed).code).toBe(4401);
  });

  it('promise: a tokens file with a plain token instead of a hash is refused at start with a clear message', () => {
    const bad = join(dir, 'plain-tokens');
    writeFileSync(bad, `${COLLECTOR_TOKEN} alpha\n`);
    const r = spawnSync(
      process.execPath,
      tsxArgv(HUB_MAIN, ['--listen', '127.0.0.1:1', '--db', join(dir, 'x.db'), '--tokens', bad]),
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, FTPSCOPE_API_TOKEN: API_TOKEN },
        timeout: 30_000,
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('plain-tokens:1: expected a SHA-256 hex hash');
    expect(r.stderr).toContain('hash-token');
    expect(r.stderr + r.stdout).not.toContain(COLLECTOR_TOKEN);
  });

  it('promise: tokens are never logged (auth failures and successes, header, cookie, ?token= link), failures log the remote address', async () => {
    const base = hub.url;
    const ws = `ws://127.0.0.1:${hub.port}`;
    const fails = [
      TestSocket.collector(`${ws}/ws/collector`, `${COLLECTOR_TOKEN}-wrong`),
      TestSocket.collector(`${ws}/ws/collector`, API_TOKEN),
      TestSocket.collector(`${ws}/ws/live`, COLLECTOR_TOKEN),
    ];
    for (const s of fails) expect((await s.closed).code).toBe(4401);
    await fetch(`${base}/api/hosts`, { headers: { authorization: `Bearer ${API_TOKEN}-wrong` } });
    await fetch(`${base}/api/hosts`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    await fetch(`${base}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: `${API_TOKEN}-wrong` }),
    });
    const login = await fetch(`${base}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: API_TOKEN }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^ftpscope_session=.+/);
    await fetch(`${base}/api/hosts`, { headers: { cookie } });
    // The demo prints a link with ?token=: the UI swaps it for the cookie, the hub's request log must not keep it.
    await fetch(`${base}/?token=${API_TOKEN}`, { headers: { accept: 'text/html' } });
    await fetch(`${base}/api/hosts?token=${API_TOKEN}`);
    const live = TestSocket.collector(`${ws}/ws/live`, API_TOKEN);
    await live.opened;
    live.close();

    await until('the hub to log the rejections', () => (hub.out.match(/rejected/g) ?? []).length >= 3, 5000);
    const logs = hub.out + hub.err;
    expect(logs).toContain('"remote":"127.0.0.1:');
    expect(logs).toContain('collector rejected: wrong or missing token (4401)');
    for (const secret of [API_TOKEN, COLLECTOR_TOKEN, cookie.split('=')[1] ?? '']) {
      expect(secret.length).toBeGreaterThan(8);
      expect(logs.includes(secret), `the logs contain ${secret.slice(0, 12)}…`).toBe(false);
    }
    // Partial leaks too (e.g. a token cut by a log truncation): its first half never appears.
    expect(logs.includes(API_TOKEN.slice(0, 12))).toBe(false);
  });
});
