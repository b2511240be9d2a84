import type { DiagnosisRule } from '../types.ts';
import { currentHealth, healthEvidence } from './activity.ts';
import { fill, isFull, percent, statsRise } from './table-full.ts';

/**
 * The conntrack table is (nearly) full: new connections, FTP control and data alike, are dropped
 * by conntrack itself, before any rule sees them, so no rule counter shows these drops.
 */
export const conntrackTableFull: DiagnosisRule = (w, now) => {
  const h = currentHealth(w);
  if (!h || h.conntrackMax === 0) return [];
  const ratio = fill(h.conntrackCount, h.conntrackMax);
  const rise = statsRise(w, now, ['drop', 'early_drop']);
  if (!isFull(ratio, rise)) return [];
  const explanation = [
    `The conntrack table holds ${h.conntrackCount} of at most ${h.conntrackMax} entries (${percent(ratio)}).`,
    rise > 0 ? `conntrack -S counted ${rise} drop/early_drop events in the last minute.` : '',
    'When the table is full the kernel drops new connections (FTP control and data) before any firewall rule sees them, so these drops do not show on any rule counter.',
    'Raise nf_conntrack_max (memory permitting), or find what fills the table and shorten its timeouts.',
  ]
    .filter(Boolean)
    .join(' ');
  return [
    {
      kind: 'conntrack-table-full',
      severity: ratio >= 1 || rise > 0 ? 'critical' : 'warning',
      title: `Conntrack table ${percent(ratio)} full`,
      explanation,
      evidence: [
        healthEvidence(
          h,
          `conntrack ${h.conntrackCount}/${h.conntrackMax}, drop+early_drop +${rise} in the last minute`,
        ),
      ],
      fix: [
        `sysctl -w net.netfilter.nf_conntrack_max=${Math.max(h.conntrackMax * 2, 65536)}`,
        `echo 'net.netfilter.nf_conntrack_max = ${Math.max(h.conntrackMax * 2, 65536)}' > /etc/sysctl.d/90-conntrack.conf`,
        "conntrack -L -o extended | awk '{print $1, $3, $6}' | sort | uniq -c | sort -rn | head  # what fills the table",
      ],
    },
  ];
};
