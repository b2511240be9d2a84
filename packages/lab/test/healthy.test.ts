import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, destroyLab, type Lab } from '../src/index.ts';
import { uniqueLabName } from './helpers.ts';

const name = uniqueLabName('th');
let lab: Lab;

beforeAll(async () => {
  lab = await createLab({ name, hosts: 1, profile: 'healthy', ipv6: true });
});
afterAll(async () => {
  await destroyLab(name);
});

describe('healthy profile (helper assigned by raw CT rule)', () => {
  for (const client of ['lftp', 'curl'] as const) {
    for (const mode of ['passive', 'active'] as const) {
      it(`${client} ${mode}: ls lists the served files and get downloads them intact`, async () => {
        const ls = await lab.ls('ftp1', { mode, client });
        expect(ls.ok, ls.stderr).toBe(true);
        expect(ls.stdout).toContain('small.txt');
        expect(ls.stdout).toContain('1MB.bin');
        const get = await lab.get('ftp1', '1MB.bin', { mode, client });
        expect(get.ok, get.stderr).toBe(true);
        const served = await readFile(join(lab.host('ftp1').ftpRoot, '1MB.bin'));
        const got = await readFile(join(lab.dir, 'client', 'downloads', '1MB.bin'));
        expect(got.equals(served)).toBe(true);
      });
    }
  }

  it('assigns the ftp helper to the control connection', async () => {
    await lab.ls('ftp1', { mode: 'passive' });
    const ct = await lab.exec('ftp1', ['conntrack', '-L', '-p', 'tcp', '--dport', '21']);
    expect(ct.stdout).toMatch(/helper=ftp/);
  });

  it('works over IPv6 in both modes (EPSV/EPRT through the ip6tables helper)', async () => {
    for (const mode of ['passive', 'active'] as const) {
      const ls = await lab.ls('ftp1', { mode, ipv6: true });
      expect(ls.ok, `${mode}: ${ls.stderr}`).toBe(true);
      expect(ls.stdout).toContain('small.txt');
    }
  });

  it('lets the local user upload, and logs protocol and transfers into the lab dir', async () => {
    const put = await lab.put('ftp1', 'small.txt', { mode: 'passive' });
    expect(put.ok, put.stderr).toBe(true);
    const uploaded = await readFile(join(lab.dir, 'ftp1', 'home', 'small.txt'), 'utf8');
    expect(uploaded).toContain('client');
    const log = await readFile(lab.host('ftp1').logFile, 'utf8');
    expect(log).toContain('"STOR small.txt"');
    expect(log).toMatch(/OK LOGIN: Client "198\.18\.\d+\.100"/);
    expect(log).toMatch(/OK DOWNLOAD: Client "198\.18\.\d+\.100", "\/1MB\.bin", 1048576 bytes/);
  });

  it('keeps K sessions transferring under load', async () => {
    const res = await lab.load('ftp1', { mode: 'passive', sessions: 2, seconds: 1 });
    expect(res.transfers).toBeGreaterThan(2);
    expect(res.failures).toBe(0);
  });

  it('reaches a hub listening on the root side of the management link from inside the host', async () => {
    const h = lab.host('ftp1');
    const server = createServer((_req, res) => res.end('hub here'));
    await new Promise<void>((resolve) => server.listen(0, h.mgmtGatewayIp, resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await lab.exec('ftp1', [
        'curl',
        '-sS',
        '--max-time',
        '3',
        `http://${h.mgmtGatewayIp}:${port}/`,
      ]);
      expect(res.stdout, res.stderr).toBe('hub here');
    } finally {
      server.close();
    }
  });
});
