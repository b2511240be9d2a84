import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand } from '../config.ts';
import { API_TOKEN, listeningApp } from '../testing/harness.ts';
import { runTokensCommand, type TokensCommand } from './tokens-command.ts';

const parse = (argv: string[], env: NodeJS.ProcessEnv = { FTPSCOPE_API_TOKEN: API_TOKEN }) =>
  parseCommand(argv, env, { exitOverride: true });

describe('hub tokens list|add|revoke', () => {
  let hub: Awaited<ReturnType<typeof listeningApp>>;
  let url = '';
  beforeAll(async () => {
    hub = await listeningApp();
    url = `http://127.0.0.1:${hub.port}`;
  });
  afterAll(async () => {
    await hub.close();
  });

  const run = async (cmd: TokensCommand, token = API_TOKEN) => {
    let out = '';
    const code = await runTokensCommand(cmd, url, token, (t) => {
      out += t;
    });
    return { code, out };
  };

  it('finds the running hub from its own flags: --plain-listen, else a loopback --listen', () => {
    expect(parse(['tokens', 'list'])).toMatchObject({ kind: 'tokens', url: 'http://127.0.0.1:8080' });
    expect(
      parse(['tokens', 'list'], { FTPSCOPE_API_TOKEN: API_TOKEN, FTPSCOPE_PLAIN_LISTEN: '127.0.0.1:9090' }),
    ).toMatchObject({ url: 'http://127.0.0.1:9090' });
    expect(parse(['tokens', 'add', 'ftp1', '--url', 'http://127.0.0.1:1'])).toMatchObject({
      command: { action: 'add', host: 'ftp1' },
      url: 'http://127.0.0.1:1',
    });
    expect(() => parse(['tokens', 'list', '--listen', '0.0.0.0:8443'])).toThrow(/--url https:\/\/HOST:PORT/);
    expect(() => parse(['tokens', 'list'], {})).toThrow(/--api-token/);
  });

  it('adds a token and prints the command, lists it with its state, revokes it', async () => {
    const added = await run({ action: 'add', host: 'ftp9', json: false });
    expect(added.code).toBe(0);
    const id = /token (ct_[0-9a-f]{12}) for ftp9/.exec(added.out)?.[1] ?? '';
    expect(id).not.toBe('');
    expect(added.out).toContain(
      `curl -fsSL ${url}/install.sh | sudo sh -s -- --hub ${url} --name ftp9 --token fsc_`,
    );
    const listed = await run({ action: 'list', json: false });
    expect(listed.out).toMatch(new RegExp(`^${id}\\s+ftp9\\s+active\\s+never`, 'm'));
    const revoked = await run({ action: 'revoke', id, json: true });
    expect(JSON.parse(revoked.out)).toMatchObject({ id, revokedAt: expect.any(String) });
    expect((await run({ action: 'list', json: false })).out).toMatch(
      new RegExp(`^${id}\\s+ftp9\\s+revoked`, 'm'),
    );
  });

  it('says what went wrong: a wrong API token, an unknown id, no hub', async () => {
    await expect(run({ action: 'list', json: false }, 'wrong-token-1234')).rejects.toThrow(/HTTP 401/);
    await expect(run({ action: 'revoke', id: 'ct_000000000000', json: false })).rejects.toThrow(/HTTP 404/);
    let out = '';
    await expect(
      runTokensCommand({ action: 'list', json: false }, 'http://127.0.0.1:1', API_TOKEN, (t) => {
        out += t;
      }),
    ).rejects.toThrow(/cannot reach the hub at http:\/\/127\.0\.0\.1:1/);
    expect(out).toBe('');
  });
});
