import type { Family, RuleDef } from '@ftpscope/shared';
import { coversFamily, direction, type PortRange } from '../rules/firewall.ts';
import type { HostWindow } from '../types.ts';

/** The tool the host's firewall is written with: fixes are given for that tool only. */
export type FixTool = 'iptables' | 'iptables-legacy' | 'nftables';

/** Picks the backend that holds the host's filter rules (native nftables wins only when iptables has none). */
export function fixTool(w: HostWindow): FixTool {
  const has = (b: string) => w.rules.some((r) => r.backend === b && !r.isPolicy);
  if (has('nftables') && !has('iptables-nft') && !has('iptables-legacy')) return 'nftables';
  if (has('iptables-legacy') && !has('iptables-nft')) return 'iptables-legacy';
  if (w.rules.length === 0 && w.backends.length > 0 && !w.backends.includes('iptables-nft')) {
    return w.backends.includes('nftables') ? 'nftables' : 'iptables-legacy';
  }
  return 'iptables';
}

/** `iptables`, `ip6tables`, `iptables-legacy` or `ip6tables-legacy`. */
function xtables(tool: FixTool, family: Family): string {
  const base = family === 'ipv6' ? 'ip6tables' : 'iptables';
  return tool === 'iptables-legacy' ? `${base}-legacy` : base;
}

/** Where an nftables rule goes: an existing chain of the host, or one the fix creates. */
export interface NftPlace {
  family: string;
  table: string;
  chain: string;
  /** true when the chain exists; otherwise the fix creates it first. */
  exists: boolean;
}

/** The native nftables chain to put a rule in: an existing one with a fitting name, else a proposed one. */
export function nftChain(w: HostWindow, family: Family, want: 'input' | 'output' | 'prerouting'): NftPlace {
  const native = w.rules.filter((r) => r.backend === 'nftables' && coversFamily(r.family, family));
  const named = (r: RuleDef) => r.chain.toLowerCase().includes(want);
  const hit =
    native.find((r) => named(r) && r.family === 'inet') ??
    native.find(named) ??
    native.find((r) => want !== 'prerouting' && direction(r) === (want === 'input' ? 'in' : 'out'));
  if (hit) return { family: hit.family, table: hit.table, chain: hit.chain, exists: true };
  const table = native.find((r) => r.family === 'inet') ?? native[0];
  return { family: table?.family ?? 'inet', table: table?.table ?? 'filter', chain: want, exists: false };
}

function nftPorts(ports: number[]): string {
  return ports.length === 1 ? String(ports[0]) : `{ ${ports.join(', ')} }`;
}

/** Commands that make conntrack assign the FTP helper to control connections on these ports. */
export function assignHelperFix(w: HostWindow, families: Family[], ports: number[]): string[] {
  const tool = fixTool(w);
  if (tool === 'nftables') {
    const out: string[] = [];
    for (const family of families) {
      const p = nftChain(w, family, 'prerouting');
      const helperName = 'ftp-standard';
      const helper = `nft add ct helper ${p.family} ${p.table} ${helperName} '{ type "ftp" protocol tcp; }'`;
      if (!out.includes(helper)) out.push(helper);
      if (!p.exists) {
        const chain = `nft add chain ${p.family} ${p.table} ${p.chain} '{ type filter hook prerouting priority filter; }'`;
        if (!out.includes(chain)) out.push(chain);
      }
      const rule = `nft add rule ${p.family} ${p.table} ${p.chain} tcp dport ${nftPorts(ports)} ct helper set '"${helperName}"'`;
      if (!out.includes(rule)) out.push(rule);
    }
    return out;
  }
  const out: string[] = [];
  for (const family of families) {
    for (const port of ports) {
      out.push(`${xtables(tool, family)} -t raw -A PREROUTING -p tcp --dport ${port} -j CT --helper ftp`);
      out.push(`${xtables(tool, family)} -t raw -A OUTPUT -p tcp --dport ${port} -j CT --helper ftp`);
    }
  }
  out.push(
    'modprobe nf_conntrack_ftp  # only needed on kernels where the helper is a module that is not loaded',
  );
  return out;
}

/** Commands that accept RELATED (and ESTABLISHED) packets first in the inbound or outbound chain. */
export function acceptRelatedFix(w: HostWindow, families: Family[], dir: 'in' | 'out'): string[] {
  const tool = fixTool(w);
  const out: string[] = [];
  for (const family of families) {
    if (tool === 'nftables') {
      const p = nftChain(w, family, dir === 'in' ? 'input' : 'output');
      const cmd = `nft insert rule ${p.family} ${p.table} ${p.chain} ct state established,related accept`;
      if (!out.includes(cmd)) out.push(cmd);
    } else {
      const chain = dir === 'in' ? 'INPUT' : 'OUTPUT';
      out.push(`${xtables(tool, family)} -I ${chain} 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    }
  }
  return out;
}

/** Commands that open a passive port range for new inbound TCP connections. */
export function openRangeFix(w: HostWindow, families: Family[], range: PortRange): string[] {
  const tool = fixTool(w);
  const out: string[] = [];
  for (const family of families) {
    if (tool === 'nftables') {
      const p = nftChain(w, family, 'input');
      const cmd = `nft insert rule ${p.family} ${p.table} ${p.chain} tcp dport ${range[0]}-${range[1]} ct state new accept`;
      if (!out.includes(cmd)) out.push(cmd);
    } else {
      out.push(
        `${xtables(tool, family)} -I INPUT -p tcp --dport ${range[0]}:${range[1]} -m conntrack --ctstate NEW -j ACCEPT`,
      );
    }
  }
  return out;
}
