import type { DiagnosisRule } from '../types.ts';
import { currentHealth, healthEvidence } from './activity.ts';
import { fill, isFull, percent, statsRise } from './table-full.ts';

/**
 * The expectation table is (nearly) full: the helper cannot add the expectation for a new data
 * connection, so it drops the PASV/PORT reply and the transfer fails.
 */
export const expectationTableFull: DiagnosisRule = (w, now) => {
  const h = currentHealth(w);
  if (!h || h.expectMax === 0) return [];
  const ratio = fill(h.expectCount, h.expectMax);
  const rise = statsRise(w, now, ['drop', 'expect_create_failed']);
  if (!isFull(ratio, rise)) return [];
  const explanation = [
    `The conntrack expectation table holds ${h.expectCount} of at most ${h.expectMax} expectations (${percent(ratio)}).`,
    rise > 0 ? `conntrack -S counted ${rise} drops in the last minute.` : '',
    'When it is full the FTP helper cannot register the expectation for a new data connection and drops the packet carrying the PASV/PORT reply ("cannot add expectation"); this does not show on any rule counter.',
    'Raise nf_conntrack_expect_max, and look for clients opening many data connections they never use.',
  ]
    .filter(Boolean)
    .join(' ');
  return [
    {
      kind: 'expectation-table-full',
      severity: ratio >= 1 || rise > 0 ? 'critical' : 'warning',
      title: `Expectation table ${percent(ratio)} full`,
      explanation,
      evidence: [healthEvidence(h, `expectations ${h.expectCount}/${h.expectMax}`)],
      fix: [
        `sysctl -w net.netfilter.nf_conntrack_expect_max=${Math.max(h.expectMax * 2, 1024)}`,
        `echo 'net.netfilter.nf_conntrack_expect_max = ${Math.max(h.expectMax * 2, 1024)}' > /etc/sysctl.d/90-conntrack.conf`,
        'conntrack -L expect | wc -l  # who holds them: see the master= fields',
      ],
    },
  ];
};
