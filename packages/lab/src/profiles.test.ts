import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isManaged, MANAGED_PROFILES } from './managed-profiles.ts';
import { iptablesRuleset, nftRuleset, PROFILES } from './profiles.ts';

const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');

describe('profiles', () => {
  it('documents every ruleset in the README exactly as it is loaded', () => {
    for (const profile of PROFILES.filter((p) => !isManaged(p))) {
      const text = iptablesRuleset(profile, '<lan>', false) ?? nftRuleset({ lanNet: '<lan>', lanNet6: null });
      expect(readme, profile).toContain(text.trimEnd());
    }
  });

  it('documents every managed profile in the README', () => {
    for (const profile of MANAGED_PROFILES) expect(readme, profile).toContain(`| \`${profile}\``);
  });

  it('loads no helper in the profiles that must not have one', () => {
    for (const profile of ['open', 'hardened-no-helper'] as const) {
      expect(iptablesRuleset(profile, '198.18.1.0/24', false)).not.toContain('--helper');
    }
    expect(iptablesRuleset('no-related', '198.18.1.0/24', false)).not.toContain('RELATED');
  });

  it('accepts ICMPv6 in the IPv6 rulesets so neighbour discovery passes a DROP policy', () => {
    expect(iptablesRuleset('healthy', '2001:2:0:1::/64', true)).toContain('-A INPUT -p ipv6-icmp -j ACCEPT');
    expect(nftRuleset({ lanNet: '198.18.1.0/24', lanNet6: '2001:2:0:1::/64' })).toContain('ipv6-icmp');
  });
});
