import { existsSync } from 'node:fs';
import { LabError } from './errors.ts';
import { run, runOk } from './exec.ts';
import type { Profile } from './index.ts';
import { isManaged, MANAGED_PROFILES } from './managed-profiles.ts';

/**
 * Firewall profiles of a lab server namespace. Each is a complete ruleset loaded atomically
 * (iptables-restore / nft -f) after `nft flush ruleset` removed the previous one (iptables-nft's
 * tables are nftables tables too, so that flushes both). The client namespace has no firewall.
 *
 * - open: no filtering. One counting-only rule (`-m conntrack --ctstate INVALID`, no target) exists
 *   because the kernel only tracks connections in a namespace once some rule uses conntrack;
 *   without it the collector would see nothing. No helper.
 * - healthy: INPUT policy DROP; accept lo; accept NEW tcp/21 from the lab LAN; accept
 *   ESTABLISHED,RELATED; raw PREROUTING `-p tcp --dport 21 -j CT --helper ftp` assigns the FTP helper,
 *   so PASV/PORT create expectations and the data connections are RELATED. OUTPUT stays ACCEPT, so
 *   active mode (server connects from port 20) works. No raw OUTPUT helper rule: no FTP client runs
 *   inside a server namespace.
 * - hardened-no-helper: the same filter rules without the helper (the classic outage): login works,
 *   passive data connections hit the INPUT policy DROP; active mode still works (outgoing from 20).
 * - no-related: helper assigned (expectations are created) but only ESTABLISHED is accepted, so the
 *   RELATED passive data connection is dropped by the policy.
 * - nft-healthy: healthy in native nftables: table `inet ftpscope_lab` with
 *   `ct helper ftp-standard { type "ftp" protocol tcp; }` set on tcp/21 in a prerouting chain at
 *   priority filter (after conntrack, which a `ct helper set` needs), counters on every rule.
 *
 * Some rules carry a `lab: ...` comment and some deliberately do not, so both ways the collector
 * identifies rules (comment, or normalised text) are exercised. With IPv6 the ip6tables rulesets
 * mirror the IPv4 ones and accept ICMPv6 (neighbour discovery must pass a DROP policy).
 */

/** Every profile, in the order the README lists them. */
export const PROFILES: readonly Profile[] = [
  'open',
  'healthy',
  'hardened-no-helper',
  'no-related',
  'nft-healthy',
  ...MANAGED_PROFILES,
];

/** What a ruleset needs to know about the lab. */
export interface ProfileContext {
  /** The lab LAN, e.g. 198.18.3.0/24. */
  lanNet: string;
  /** The IPv6 LAN, when the lab has IPv6. */
  lanNet6: string | null;
}

/** True for a known profile name. */
export const isProfile = (s: string): s is Profile => (PROFILES as readonly string[]).includes(s);

const helperRule = (comment: boolean) =>
  `-A PREROUTING -p tcp --dport 21${comment ? ' -m comment --comment "lab: assign ftp helper"' : ''} -j CT --helper ftp`;

/** The iptables-restore input of an iptables profile (v6: ip6tables flavour), or null for nft-healthy. */
export function iptablesRuleset(profile: Profile, net: string, v6: boolean): string | null {
  if (isManaged(profile)) return null;
  const icmp6 = v6 ? ['-A INPUT -p ipv6-icmp -j ACCEPT'] : [];
  const hardened = (state: string, comment: boolean) => [
    '*filter',
    ':INPUT DROP [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A INPUT -i lo -j ACCEPT',
    ...icmp6,
    `-A INPUT -s ${net} -p tcp -m state --state NEW -m tcp --dport 21${comment ? ' -m comment --comment "lab: ftp control"' : ''} -j ACCEPT`,
    `-A INPUT -m state --state ${state} -j ACCEPT`,
    'COMMIT',
  ];
  const raw = (comment: boolean) => [
    '*raw',
    ':PREROUTING ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    helperRule(comment),
    'COMMIT',
  ];
  switch (profile) {
    case 'open':
      return [
        '*filter',
        ':INPUT ACCEPT [0:0]',
        ':FORWARD ACCEPT [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        '-A INPUT -m conntrack --ctstate INVALID -m comment --comment "lab: enables conntrack, counts invalid packets"',
        'COMMIT',
        '',
      ].join('\n');
    case 'healthy':
      return [...raw(true), ...hardened('RELATED,ESTABLISHED', true), ''].join('\n');
    case 'hardened-no-helper':
      return [...hardened('RELATED,ESTABLISHED', false), ''].join('\n');
    case 'no-related':
      return [...raw(false), ...hardened('ESTABLISHED', false), ''].join('\n');
    case 'nft-healthy':
      return null;
  }
  return null;
}

/** The `nft -f` input of nft-healthy. */
export function nftRuleset(ctx: ProfileContext): string {
  const v6 = ctx.lanNet6
    ? [
        '    meta l4proto ipv6-icmp counter accept',
        `    ip6 saddr ${ctx.lanNet6} tcp dport 21 ct state new counter accept comment "lab: ftp control v6"`,
      ]
    : [];
  return [
    'table inet ftpscope_lab {',
    '  ct helper ftp-standard {',
    '    type "ftp" protocol tcp',
    '    l3proto inet',
    '  }',
    '  chain prerouting {',
    '    type filter hook prerouting priority filter; policy accept;',
    '    tcp dport 21 counter ct helper set "ftp-standard" comment "lab: assign ftp helper"',
    '  }',
    '  chain input {',
    '    type filter hook input priority filter; policy drop;',
    '    iif "lo" counter accept',
    ...v6,
    `    ip saddr ${ctx.lanNet} tcp dport 21 ct state new counter accept comment "lab: ftp control"`,
    '    ct state established,related counter accept',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Makes sure the kernel has the FTP conntrack helper (built in here; a module elsewhere). */
export async function ensureFtpHelper(): Promise<void> {
  if (existsSync('/sys/module/nf_conntrack_ftp')) return;
  const res = await run(['modprobe', 'nf_conntrack_ftp']).catch(() => null);
  if (res?.code !== 0 && !existsSync('/sys/module/nf_conntrack_ftp')) {
    throw new LabError(
      'FTPSCOPE_ERR_LAB_MISSING_BINARY',
      'the kernel has no FTP conntrack helper (nf_conntrack_ftp)',
      'run `modprobe nf_conntrack_ftp` (package kmod) or use a kernel with CONFIG_NF_CONNTRACK_FTP',
    );
  }
}

/** Replaces the namespace's whole firewall (iptables and nftables) with the profile's rules. */
export async function applyProfile(netns: string, profile: Profile, ctx: ProfileContext): Promise<void> {
  await runOk(['nft', 'flush', 'ruleset'], { netns });
  if (profile === 'nft-healthy') {
    await runOk(['nft', '-f', '-'], { netns, input: nftRuleset(ctx) });
    return;
  }
  await runOk(['iptables-restore'], { netns, input: iptablesRuleset(profile, ctx.lanNet, false) ?? '' });
  if (ctx.lanNet6) {
    await runOk(['ip6tables-restore'], { netns, input: iptablesRuleset(profile, ctx.lanNet6, true) ?? '' });
  }
}
