import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../src/index.ts';
import { uniqueLabName } from './helpers.ts';

/** ProFTPD and Pure-FTPd hosts beside vsftpd, and the NAT router: each served for real, in parallel labs. */
const labs: Record<string, Lab> = {};

beforeAll(async () => {
  const [pro, pure, nat] = await Promise.all([
    createLab({ name: uniqueLabName('sp'), hosts: 1, profile: 'healthy', server: 'proftpd' }),
    createLab({ name: uniqueLabName('sf'), hosts: 1, profile: 'healthy', server: 'pure-ftpd' }),
    createLab({ name: uniqueLabName('sn'), hosts: 1, profile: 'healthy', nat: 'plain' }),
  ]);
  Object.assign(labs, { proftpd: pro, 'pure-ftpd': pure, nat });
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(labs).map((l) => l.down()));
}, 60_000);

describe('ProFTPD and Pure-FTPd lab hosts', { timeout: 60_000 }, () => {
  for (const server of ['proftpd', 'pure-ftpd'] as const) {
    it(`${server}: lftp and curl, passive and active, ls and get; the collector's log is written`, async () => {
      const lab = labs[server] as Lab;
      for (const client of ['lftp', 'curl'] as const) {
        for (const mode of ['passive', 'active'] as const) {
          const ls = await lab.ls('ftp1', { mode, client });
          expect(ls.ok, `${client} ${mode}: ${ls.stderr}`).toBe(true);
          expect(ls.stdout).toContain('1MB.bin');
        }
      }
      expect((await lab.get('ftp1', '1MB.bin', { mode: 'passive' })).ok).toBe(true);
      const log = await readFile(lab.host('ftp1').logFile, 'utf8');
      expect(log).toMatch(server === 'proftpd' ? /PASV "" 227 "Entering Passive Mode/ : /Command \[pasv\]/);
    });

    it(`${server}: hardened-no-helper breaks passive only; restartServer runs the edited config`, async () => {
      const lab = labs[server] as Lab;
      const host = lab.host('ftp1');
      await lab.setProfile('ftp1', 'hardened-no-helper');
      expect((await lab.ls('ftp1', { mode: 'passive', client: 'curl', timeoutMs: 5000 })).ok).toBe(false);
      expect((await lab.ls('ftp1', { mode: 'active', client: 'curl' })).ok).toBe(true);
      await lab.setProfile('ftp1', 'healthy');
      // An operator's edit: another passive range, picked up by the restart.
      const conf = await readFile(host.serverConf, 'utf8');
      const [lo] = host.passiveRange;
      // ProFTPD refuses a range of one port.
      const narrow =
        server === 'proftpd' ? `PassivePorts ${lo} ${lo + 1}` : `PassivePortRange ${lo} ${lo + 1}`;
      await writeFile(host.serverConf, conf.replace(/^(PassivePorts|PassivePortRange) \d+ \d+$/m, narrow));
      await lab.restartServer('ftp1');
      await lab.exec('ftp1', ['conntrack', '-F']);
      const ls = await lab.ls('ftp1', { mode: 'passive', client: 'curl' });
      expect(ls.ok, ls.stderr).toBe(true);
      const ct = await lab.exec('ftp1', ['conntrack', '-L', '-p', 'tcp', '--orig-src', lab.client.ip]);
      // The original direction's destination port of each entry other than the control connection.
      const ports = ct.stdout
        .split('\n')
        .map((l) => Number(/dport=(\d+)/.exec(l)?.[1]))
        .filter((p) => p > 1024);
      expect(ports.length).toBeGreaterThan(0);
      expect(ports.every((p) => p <= lo + 1)).toBe(true);
      await writeFile(host.serverConf, conf);
      await lab.restartServer('ftp1');
    });
  }
});

describe('1:1 NAT router without FTP helper', { timeout: 60_000 }, () => {
  it('forwards the control connection to the inside address, but passive fails (inside address advertised); active works', async () => {
    const lab = labs.nat as Lab;
    const host = lab.host('ftp1');
    expect(host.insideIp).toMatch(/^198\.19\.\d+\.210$/);
    expect(lab.router).toMatchObject({ helper: false });
    expect(lab.privateNets).toEqual([`${host.insideIp?.split('.').slice(0, 3).join('.')}.0/24`]);
    expect((await lab.login('ftp1', { mode: 'passive' })).ok).toBe(true);
    const passive = await lab.ls('ftp1', { mode: 'passive' });
    expect(passive.ok).toBe(false);
    expect(passive.stderr).toMatch(/Network is unreachable/);
    expect((await lab.ls('ftp1', { mode: 'active' })).ok).toBe(true);
    // The server sees the client's own address, dialling its inside one.
    const ct = await lab.exec('ftp1', ['conntrack', '-L', '-p', 'tcp', '--dport', '21']);
    expect(ct.stdout).toContain(`src=${lab.client.ip} dst=${host.insideIp}`);
  });
});
