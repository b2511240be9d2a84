import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import { identifyRules } from '../model/rule-ids.ts';
import { detectManager } from './firewall-detect.ts';
import { parseIptablesSave } from './iptables-save-parse.ts';
import { parseNftJson } from './nft-json-parse.ts';

/** RuleDefs of a recorded ruleset, the way the rules source reads it. */
function defs(opts: { save?: string; save6?: string; nft?: string }) {
  const records = [
    ...(opts.save ? parseIptablesSave(fixture(opts.save), 'iptables-nft', 'ipv4').records : []),
    ...(opts.save6 ? parseIptablesSave(fixture(opts.save6), 'iptables-nft', 'ipv6').records : []),
    ...(opts.nft ? parseNftJson(fixture(opts.nft)).records : []),
  ];
  return identifyRules(records).map((r) => r.def);
}

const file = (path: string, tables: string[] = []) => ({
  path,
  exists: true,
  tables,
  assignsHelper: false,
  vars: {},
});

describe('detectManager on recorded rulesets', () => {
  it('firewalld 1.3.3, nftables backend: table inet firewalld', () => {
    const d = detectManager({
      rules: defs({ nft: 'firewalld/1.3.3/nftables-port-only.json' }),
      files: [],
      filesApply: false,
      firewalld: null,
    });
    expect(d).toMatchObject({ manager: 'firewalld', firewalldBackend: 'nftables', neighbours: [] });
  });

  it('firewalld 1.3.3, iptables backend: IN_<zone> chains', () => {
    const d = detectManager({
      rules: defs({ save: 'firewalld/1.3.3/iptables-backend-save.txt' }),
      files: [],
      filesApply: false,
      firewalld: null,
    });
    expect(d).toMatchObject({ manager: 'firewalld', firewalldBackend: 'iptables' });
  });

  it('ufw 0.36.2: ufw-before-input, whatever files the host has', () => {
    const rules = defs({
      save: 'ufw/0.36.2/iptables-save-port-only.txt',
      save6: 'ufw/0.36.2/ip6tables-save-port-only.txt',
    });
    const d = detectManager({
      rules,
      files: [file('/etc/iptables/rules.v4')],
      filesApply: true,
      firewalld: null,
    });
    expect(d.manager).toBe('ufw');
  });

  it('file-based managers only when the files describe this namespace', () => {
    const rules = defs({ save: 'iptables/1.8.9/nft-healthy-save.txt' });
    const sysconfig = [file('/etc/sysconfig/iptables', ['filter'])];
    expect(detectManager({ rules, files: sysconfig, filesApply: true, firewalld: null }).manager).toBe(
      'iptables-services',
    );
    expect(detectManager({ rules, files: sysconfig, filesApply: false, firewalld: null }).manager).toBe(
      'none',
    );
    expect(
      detectManager({ rules, files: [file('/etc/iptables/rules.v6')], filesApply: true, firewalld: null })
        .manager,
    ).toBe('netfilter-persistent');
  });

  it('nftables.service only when /etc/nftables.conf declares a loaded table (Debian ships a default file)', () => {
    const rules = defs({ nft: 'nft/1.0.6/native-healthy.json' });
    const loaded = detectManager({
      rules,
      files: [file('/etc/nftables.conf', ['inet fsrec'])],
      filesApply: true,
      firewalld: null,
    });
    expect(loaded).toMatchObject({ manager: 'nftables-service' });
    const other = detectManager({
      rules,
      files: [file('/etc/nftables.conf', ['inet filter'])],
      filesApply: true,
      firewalld: null,
    });
    expect(other.manager).toBe('none');
  });

  it('names Docker and kube-proxy chains living beside the manager', () => {
    const rules = defs({ save: 'ufw/0.36.2/iptables-save-port-only.txt' });
    const extra = ['DOCKER', 'KUBE-SERVICES'].map((chain, i) => ({
      ...(rules[0] as (typeof rules)[number]),
      id: `x${i}`,
      chain,
      isPolicy: false,
    }));
    const d = detectManager({ rules: [...rules, ...extra], files: [], filesApply: false, firewalld: null });
    expect(d).toMatchObject({ manager: 'ufw', neighbours: ['docker', 'kube-proxy'] });
  });
});
