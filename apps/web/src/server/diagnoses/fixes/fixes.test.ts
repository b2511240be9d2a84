import type { FirewallInfo, FirewallManagerKind, FixStep } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import { hostWindow } from '../rules/window.fixture.ts';
import { FIX_WRITERS, fixLines, fixWriter } from './index.ts';

function info(manager: FirewallManagerKind, over: Partial<FirewallInfo> = {}): FirewallInfo {
  return {
    at: 0,
    manager,
    evidence: [],
    neighbours: [],
    firewalld: null,
    files: [],
    problems: [],
    observe: 'on',
    ...over,
  };
}
const commands = (steps: FixStep[]) => steps.flatMap((s) => (s.kind === 'run' ? [s.command] : []));

describe('fix writers', () => {
  it('has a writer for every manager, and a plain host gets runtime commands plus how to persist them', () => {
    expect(Object.keys(FIX_WRITERS).sort()).toEqual(
      ['firewalld', 'iptables-services', 'netfilter-persistent', 'nftables-service', 'none', 'ufw'].sort(),
    );
    const w = hostWindow('hardened-no-helper');
    const plan = fixWriter(w).assignHelper(w, ['ipv4'], [21]);
    expect(plan.manager).toBe('none');
    expect(commands(plan.steps)[0]).toBe(
      'iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp',
    );
    expect(plan.persistence).toMatch(/netfilter-persistent save/);
  });

  it('firewalld: zone-aware, one option per command, replaces the bare port with the ftp service, then reloads', () => {
    const zones = [{ name: 'internal', interfaces: ['eth0'], services: ['ssh'], ports: ['21/tcp'] }];
    const w = hostWindow('hardened-no-helper', {
      firewall: info('firewalld', {
        firewalld: { running: true, backend: 'nftables', defaultZone: 'public', ftpZones: zones },
      }),
    });
    const plan = fixWriter(w).assignHelper(w, ['ipv4', 'ipv6'], [21]);
    expect(commands(plan.steps)).toEqual([
      'firewall-cmd --permanent --zone=internal --remove-port=21/tcp',
      'firewall-cmd --permanent --zone=internal --add-service=ftp',
      'firewall-cmd --reload',
    ]);
    expect(plan.runtime.length).toBeGreaterThan(0);
    const custom = commands(fixWriter(w).assignHelper(w, ['ipv4'], [2121]).steps);
    expect(custom).toContain('firewall-cmd --permanent --service=ftp-2121 --add-helper=ftp-2121');
    expect(commands(fixWriter(w).openRange(w, ['ipv4'], [40000, 40100]).steps)[0]).toBe(
      'firewall-cmd --permanent --zone=internal --add-port=40000-40100/tcp',
    );
  });

  it('ufw: *raw lines at the top of before.rules and before6.rules, then ufw reload; a range with ufw allow', () => {
    const w = hostWindow('hardened-no-helper', { firewall: info('ufw') });
    const plan = fixWriter(w).assignHelper(w, ['ipv4', 'ipv6'], [21]);
    expect(plan.steps.map((s) => (s.kind === 'edit' ? `${s.placement} ${s.path}` : s.command))).toEqual([
      'prepend /etc/ufw/before.rules',
      'prepend /etc/ufw/before6.rules',
      'ufw reload',
    ]);
    expect(plan.steps[0]).toMatchObject({
      lines: expect.arrayContaining(['*raw', '-A PREROUTING -p tcp --dport 21 -j CT --helper ftp', 'COMMIT']),
    });
    expect(commands(fixWriter(w).openRange(w, ['ipv4'], [40000, 40100]).steps)).toEqual([
      'ufw allow 40000:40100/tcp',
    ]);
  });

  it('iptables-services: into the existing *raw section or a new one, IPTABLES_MODULES kept and extended, restart', () => {
    const files: FirewallInfo['files'] = [
      {
        path: '/etc/sysconfig/iptables',
        exists: true,
        tables: ['raw', 'filter'],
        assignsHelper: false,
        vars: {},
      },
      {
        path: '/etc/sysconfig/iptables-config',
        exists: true,
        tables: [],
        assignsHelper: false,
        vars: { IPTABLES_MODULES: 'nf_nat_ftp' },
      },
    ];
    const w = hostWindow('hardened-no-helper', { firewall: info('iptables-services', { files }) });
    const plan = fixWriter(w).assignHelper(w, ['ipv4', 'ipv6'], [21]);
    expect(plan.steps[0]).toMatchObject({
      path: '/etc/sysconfig/iptables',
      placement: 'before-commit',
      table: 'raw',
    });
    expect(plan.steps[1]).toMatchObject({ path: '/etc/sysconfig/ip6tables', placement: 'append' });
    expect(plan.steps[2]).toMatchObject({
      placement: 'set',
      key: 'IPTABLES_MODULES',
      lines: ['IPTABLES_MODULES="nf_nat_ftp nf_conntrack_ftp"'],
    });
    expect(commands(plan.steps)).toEqual(['systemctl restart iptables', 'systemctl restart ip6tables']);
  });

  it('netfilter-persistent: the runtime rule, then netfilter-persistent save', () => {
    const w = hostWindow('hardened-no-helper', { firewall: info('netfilter-persistent') });
    expect(commands(fixWriter(w).assignHelper(w, ['ipv4'], [21]).steps)).toEqual([
      'iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp',
      'iptables -t raw -A OUTPUT -p tcp --dport 21 -j CT --helper ftp',
      'netfilter-persistent save',
    ]);
  });

  it('nftables.service: an idempotent helper table appended to /etc/nftables.conf, then nft -f it; text shows all of it', () => {
    const w = hostWindow('nft-no-helper', { firewall: info('nftables-service') });
    const plan = fixWriter(w).assignHelper(w, ['ipv4'], [21]);
    expect(plan.steps[0]).toMatchObject({ kind: 'edit', path: '/etc/nftables.conf', placement: 'append' });
    expect(commands(plan.steps)).toEqual(['nft -f /etc/nftables.conf']);
    const text = fixLines(plan);
    expect(text[0]).toMatch(
      /^# \/etc\/nftables.conf \(at the end\):\ntable inet ftp_helper\ndelete table inet ftp_helper/,
    );
    expect(text.at(-1)).toMatch(/^# runtime equivalent/);
    const accept = fixWriter(w).acceptRelated(w, ['ipv4'], 'in');
    expect(accept.steps[0]).toMatchObject({
      lines: ['insert rule inet ftpscope_lab input ct state established,related accept'],
    });
  });
});

describe('the explanation of ftp-helper-not-assigned on firewalld', () => {
  it('names the bare port in the zone, and stays quiet once the ftp service is there', async () => {
    const { managerOpensBarePort } = await import('./index.ts');
    const zone = { name: 'public', interfaces: [], services: ['ssh'], ports: ['21/tcp'] };
    const fw = (services: string[]) =>
      info('firewalld', {
        firewalld: {
          running: true,
          backend: 'nftables',
          defaultZone: 'public',
          ftpZones: [{ ...zone, services }],
        },
      });
    expect(managerOpensBarePort(hostWindow('open', { firewall: fw(['ssh']) }), [21])).toMatch(
      /21\/tcp in zone public as a plain port/,
    );
    expect(managerOpensBarePort(hostWindow('open', { firewall: fw(['ssh', 'ftp']) }), [21])).toBeNull();
    expect(managerOpensBarePort(hostWindow('open', { firewall: info('ufw') }), [21])).toBeNull();
  });
});
