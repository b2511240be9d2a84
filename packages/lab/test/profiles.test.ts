import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, destroyLab, type Lab } from '../src/index.ts';
import { policyPackets, uniqueLabName, watchExpectations } from './helpers.ts';

const name = uniqueLabName('tp');
let lab: Lab;
const iptablesSave = async () => (await lab.exec('ftp1', ['iptables-save', '-c'])).stdout;

beforeAll(async () => {
  lab = await createLab({ name, hosts: 1, profile: 'open', ipv6: true });
});
afterAll(async () => {
  await destroyLab(name);
});

describe('firewall profiles, switched on one running host', () => {
  it('open: no filtering, yet conntrack tracks the sessions (counting rule)', async () => {
    const ls = await lab.ls('ftp1', { mode: 'passive' });
    expect(ls.ok, ls.stderr).toBe(true);
    const ct = await lab.exec('ftp1', ['conntrack', '-L', '-p', 'tcp', '--dport', '21']);
    expect(ct.stdout).toContain(`dst=${lab.host('ftp1').ip}`);
    expect(ct.stdout).not.toContain('helper=ftp');
  });

  it('hardened-no-helper: login works, passive ls fails, the INPUT policy drops the data SYNs', async () => {
    await lab.setProfile('ftp1', 'hardened-no-helper');
    expect(lab.host('ftp1').profile).toBe('hardened-no-helper');
    const before = policyPackets(await iptablesSave(), 'INPUT');
    const login = await lab.login('ftp1', { mode: 'passive' });
    expect(login.ok, login.stderr).toBe(true);
    expect(login.stdout).toContain('200');
    const curlLogin = await lab.login('ftp1', { mode: 'passive', client: 'curl' });
    expect(curlLogin.ok, curlLogin.stderr).toBe(true);
    const ls = await lab.ls('ftp1', { mode: 'passive', timeoutMs: 5000 });
    expect(ls.ok).toBe(false);
    const after = policyPackets(await iptablesSave(), 'INPUT');
    expect(after).toBeGreaterThan(before);
    const expectations = await lab.exec('ftp1', ['conntrack', '-L', 'expect']);
    expect(expectations.stdout).not.toContain('helper=ftp');
  });

  it('hardened-no-helper: active mode still works (the server connects out from port 20)', async () => {
    const ls = await lab.ls('ftp1', { mode: 'active' });
    expect(ls.ok, ls.stderr).toBe(true);
  });

  it('no-related: passive ls fails although the helper created an expectation', async () => {
    await lab.setProfile('ftp1', 'no-related');
    const watch = watchExpectations(lab.host('ftp1').netns);
    expect(await watch.ready()).toBe(true);
    const ls = await lab.ls('ftp1', { mode: 'passive', timeoutMs: 5000 });
    const events = await watch.stop();
    expect(ls.ok).toBe(false);
    const [min, max] = lab.host('ftp1').passiveRange;
    // The first dport is the expected data port; the master tuple's dport=21 comes later on the line.
    const m = events.match(/\[NEW\] \d+ proto=6 src=\S+ dst=\S+ sport=\d+ dport=(\d+) .*helper=ftp/);
    expect(m, events).not.toBeNull();
    const port = Number(m?.[1]);
    expect(port).toBeGreaterThanOrEqual(min);
    expect(port).toBeLessThanOrEqual(max);
  });

  it('nft-healthy: passive and active ls succeed, iptables rules are gone, nft counters count', async () => {
    await lab.setProfile('ftp1', 'nft-healthy');
    for (const mode of ['passive', 'active'] as const) {
      const ls = await lab.ls('ftp1', { mode });
      expect(ls.ok, `${mode}: ${ls.stderr}`).toBe(true);
    }
    const ls6 = await lab.ls('ftp1', { mode: 'passive', ipv6: true });
    expect(ls6.ok, ls6.stderr).toBe(true);
    expect(await iptablesSave()).not.toContain('-A INPUT');
    const nft = (await lab.exec('ftp1', ['nft', 'list', 'table', 'inet', 'ftpscope_lab'])).stdout;
    expect(nft).toMatch(/ct helper set "ftp-standard"/);
    expect(nft).toMatch(/ct state established,related counter packets [1-9]/);
  });

  it('switching back to an iptables profile removes the nftables table', async () => {
    await lab.setProfile('ftp1', 'healthy');
    const tables = (await lab.exec('ftp1', ['nft', 'list', 'tables'])).stdout;
    expect(tables).not.toContain('ftpscope_lab');
    const ls = await lab.ls('ftp1', { mode: 'passive' });
    expect(ls.ok, ls.stderr).toBe(true);
  });

  it('refuses to switch a running host to a profile a firewall manager owns (those are set at creation)', async () => {
    await expect(lab.setProfile('ftp1', 'ufw-port-only')).rejects.toThrow(/set when the lab is created/);
  });

  it('rejects an unknown profile with a clear error', async () => {
    await expect(lab.setProfile('ftp1', 'bogus' as never)).rejects.toThrow(/unknown profile "bogus"/);
    await expect(lab.setProfile('ftp9', 'open')).rejects.toThrow(/no host "ftp9"/);
  });
});
