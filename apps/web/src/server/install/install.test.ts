import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, tempDir, testApp } from '../testing/harness.ts';
import { installCommand, shellWord } from './install-command.ts';

const PIN = 'sha256//Gi3DCjRsXJNFpqcSC1h/g1A/QmG0Sj/9OdrsRzJ9z9E=';

describe('the install command', () => {
  it('pins the hub key in curl and in the script for an https hub, and leaves it out for plain http', () => {
    expect(
      installCommand({ hubUrl: 'https://hub:8443/', fingerprint: PIN, host: 'ftp1', token: 'fsc_x' }),
    ).toBe(
      `curl -fsSL --insecure --pinnedpubkey ${PIN} https://hub:8443/install.sh | sudo sh -s -- --hub https://hub:8443 --fingerprint ${PIN} --name ftp1 --token fsc_x`,
    );
    expect(installCommand({ hubUrl: 'http://127.0.0.1:8080', fingerprint: PIN, host: 'a', token: 't' })).toBe(
      'curl -fsSL http://127.0.0.1:8080/install.sh | sudo sh -s -- --hub http://127.0.0.1:8080 --name a --token t',
    );
  });

  it('quotes anything a shell would interpret', () => {
    expect(shellWord("a b'c;$(x)")).toBe(`'a b'\\''c;$(x)'`);
    expect(shellWord('fsc_abc-DEF')).toBe('fsc_abc-DEF');
  });
});

describe('GET /install.sh and /downloads/collector/:arch', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  const { dir, cleanup } = tempDir();
  beforeAll(async () => {
    const downloads = join(dir, 'downloads');
    mkdirSync(downloads);
    for (const v of ['0.9.0', '0.10.0'])
      writeFileSync(join(downloads, `ftpscope-collector_${v}_amd64.deb`), `deb ${v}`);
    writeFileSync(join(downloads, 'ftpscope-collector_0.10.0_amd64.tar.gz'), 'tar 0.10.0');
    t = await testApp({ downloadsDir: downloads, publicUrl: 'https://hub.example:8443' });
  });
  afterAll(async () => {
    await t.close();
    cleanup();
  });

  it('serves the install script to anyone; it is valid sh and says what is missing', async () => {
    const res = await t.app.inject({ url: '/install.sh' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/shellscript/);
    expect(spawnSync('sh', ['-n'], { input: res.body }).status).toBe(0);
    const run = spawnSync('sh', ['-s', '--', '--token', 'x'], { input: res.body, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('--hub https://HUB:PORT is required');
  });

  it('serves the newest collector package of the architecture, and names the directory when there is none', async () => {
    const deb = await t.app.inject({ url: '/downloads/collector/amd64' });
    expect(deb.statusCode).toBe(200);
    expect(deb.body).toBe('deb 0.10.0');
    expect(deb.headers['content-disposition']).toContain('ftpscope-collector_0.10.0_amd64.deb');
    expect((await t.app.inject({ url: '/downloads/collector/amd64?format=tar.gz' })).body).toBe('tar 0.10.0');
    const none = await t.app.inject({ url: '/downloads/collector/arm64' });
    expect(none.statusCode).toBe(404);
    expect(none.json()).toMatchObject({ code: 'FTPSCOPE_ERR_NO_PACKAGE' });
    expect(none.json().message).toContain('downloads');
    expect((await t.app.inject({ url: '/downloads/collector/..%2f..' })).statusCode).toBe(400);
  });

  it('GET /api/install-info: the configured public address, no pin without TLS, the packages on offer', async () => {
    expect((await t.app.inject({ url: '/api/install-info' })).statusCode).toBe(401);
    const info = await t.app.inject({
      url: '/api/install-info',
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(info.json()).toEqual({
      hubUrl: 'https://hub.example:8443',
      fingerprint: null,
      packages: [
        'ftpscope-collector_0.10.0_amd64.deb',
        'ftpscope-collector_0.10.0_amd64.tar.gz',
        'ftpscope-collector_0.9.0_amd64.deb',
      ],
    });
  });
});
