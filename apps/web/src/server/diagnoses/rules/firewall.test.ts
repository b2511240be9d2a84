import { describe, expect, it } from 'vitest';
import {
  acceptsRelated,
  destinationPorts,
  explicitlyOpenedRanges,
  inboundFilter,
  matchedStates,
  uncovered,
} from './firewall.ts';
import { ruleset } from './window.fixture.ts';

describe('reading recorded rule text', () => {
  it('finds the RELATED accept in iptables (state and conntrack matches) and native nftables rules', () => {
    for (const name of ['healthy', 'hardened-no-helper', 'nft-healthy']) {
      expect(inboundFilter(ruleset(name).rules, 'ipv4').some(acceptsRelated), name).toBe(true);
    }
    expect(inboundFilter(ruleset('no-related').rules, 'ipv4').some(acceptsRelated)).toBe(false);
  });

  it('reads states and ports in both syntaxes', () => {
    expect([
      ...(matchedStates('-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT') ?? []),
    ]).toEqual(['RELATED', 'ESTABLISHED']);
    expect([...(matchedStates('ct state { established, related } counter accept') ?? [])]).toEqual([
      'ESTABLISHED',
      'RELATED',
    ]);
    expect(matchedStates('-A INPUT -m conntrack ! --ctstate RELATED -j DROP')).toBeNull();
    expect(destinationPorts('-A INPUT -p tcp -m multiport --dports 40000:40049,50000 -j ACCEPT')).toEqual([
      [40000, 40049],
      [50000, 50000],
    ]);
    expect(destinationPorts('tcp dport { 40000-40100, 50000 } accept')).toEqual([
      [40000, 40100],
      [50000, 50000],
    ]);
    expect(destinationPorts('-A INPUT -i lo -j ACCEPT')).toBeNull();
  });

  it('sees explicitly opened passive ranges and ignores the control port rule', () => {
    expect(
      explicitlyOpenedRanges(inboundFilter(ruleset('pasv-open').rules, 'ipv4')).flatMap((o) => o.ranges),
    ).toEqual([[40000, 40100]]);
    expect(explicitlyOpenedRanges(inboundFilter(ruleset('healthy').rules, 'ipv4'))).toEqual([]);
  });

  it('computes uncovered port ranges', () => {
    expect(uncovered(40000, 40100, [[40000, 40049]])).toEqual([[40050, 40100]]);
    expect(uncovered(40000, 40100, [[39000, 41000]])).toEqual([]);
    expect(
      uncovered(40000, 40100, [
        [40010, 40020],
        [40030, 40100],
      ]),
    ).toEqual([
      [40000, 40009],
      [40021, 40029],
    ]);
  });
});
