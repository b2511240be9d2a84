import { describe, expect, it } from 'vitest';
import { CAP_NET_ADMIN, hasEffectiveCap } from './capabilities.ts';

describe('hasEffectiveCap', () => {
  it('reads CapEff from /proc/self/status text', () => {
    // Recorded under `setpriv ... --ambient-caps=-all,+net_admin,+net_raw` (bits 12 and 13).
    expect(hasEffectiveCap(CAP_NET_ADMIN, 'CapInh:\t0000000000003000\nCapEff:\t0000000000003000\n')).toBe(
      true,
    );
    expect(hasEffectiveCap(CAP_NET_ADMIN, 'CapEff:\t0000000000002000\n')).toBe(false);
    expect(hasEffectiveCap(CAP_NET_ADMIN, 'CapEff:\t000001ffffffffff\n')).toBe(true);
    expect(hasEffectiveCap(CAP_NET_ADMIN, 'no such line')).toBe(false);
  });
});
