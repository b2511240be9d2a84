import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import type { Exec } from '../host-monitor.types.ts';
import { identifyRules } from '../model/rule-ids.ts';
import { detectFirewall } from './firewall-manager.ts';
import { parseNftJson } from './nft-json-parse.ts';

const rules = identifyRules(parseNftJson(fixture('firewalld/1.3.3/nftables-port-only.json')).records).map(
  (r) => r.def,
);
const ok = (stdout: string) => ({ code: 0, stdout, stderr: '' });

/** firewall-cmd and ip as recorded from the lab's firewalld-port-only host. */
const recorded: Exec = async (file, args) => {
  if (file === 'ip')
    return ok('1: lo: <LOOPBACK,UP>\n2: eth0@if9: <BROADCAST,UP>\n3: mgmt0@if10: <BROADCAST,UP>\n');
  if (args[0] === '--state') return ok('running\n');
  if (args[0] === '--get-default-zone') return ok('public\n');
  if (args[0] === '--list-all-zones') return ok(fixture('firewalld/1.3.3/list-all-zones-port-only.txt'));
  return { code: 1, stdout: '', stderr: 'unexpected' };
};
const opts = (managerExec: Exec) => ({
  exec: recorded,
  managerExec,
  root: '/nonexistent',
  filesApply: false,
  netns: 'ns1',
});

describe('detectFirewall', () => {
  it('asks firewall-cmd for the zone of the unbound FTP interfaces (the default zone) and what it opens', async () => {
    const f = await detectFirewall(opts(recorded), rules, 5);
    expect(f).toMatchObject({ manager: 'firewalld', problems: [] });
    expect(f.firewalld).toMatchObject({ running: true, backend: 'nftables', defaultZone: 'public' });
    expect(f.firewalld?.ftpZones).toEqual([
      { name: 'public', interfaces: [], services: ['dhcpv6-client', 'ssh'], ports: ['21/tcp'] },
    ]);
  });

  it('a firewalld that does not answer is a problem with what to do; the zone and ports come from the ruleset', async () => {
    const silent: Exec = async () => ({
      code: 36,
      stdout: '',
      stderr:
        'Error: DBUS_ERROR: Failed to connect to socket /run/dbus/system_bus_socket: No such file or directory',
    });
    const f = await detectFirewall(opts(silent), rules, 5);
    expect(f.manager).toBe('firewalld');
    expect(f.problems).toHaveLength(1);
    expect(f.problems[0]).toMatch(/firewall-cmd did not answer .*DBUS_ERROR.*firewall-cmd --state/);
    expect(f.firewalld).toMatchObject({ running: null, defaultZone: 'public' });
    expect(f.firewalld?.ftpZones[0]?.ports).toContain('21/tcp');
  });
});
