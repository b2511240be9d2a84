import type { Family } from '@ftpscope/shared';
import { fixed, fixWriter } from '../fixes/index.ts';
import { serverAdvice } from '../ftp-server-advice.ts';
import type { DiagnosisRule } from '../types.ts';
import { controlPorts, currentHealth, dropEvidence, helperRulesFor, recentFrom } from './activity.ts';
import {
  acceptsRelated,
  explicitlyOpenedRanges,
  formatRange,
  inboundFilter,
  ruleLabel,
  uncovered,
} from './firewall.ts';

/** A rule opening at least this many ports (not touching the server's range) still looks like a passive range. */
const MIN_RANGE_PORTS = 10;

/**
 * The rules open a passive range explicitly, but not the one the FTP server uses (vsftpd's
 * pasv_min_port..pasv_max_port, ProFTPD's PassivePorts, Pure-FTPd's PassivePortRange). Only reported when rules open a range at all: hosts that rely on
 * the helper and RELATED have no range to mismatch.
 */
export const passiveRangeMismatch: DiagnosisRule = (w, now) => {
  const s = w.settings;
  if (!s?.pasvEnabled || s.pasvMinPort === null || s.pasvMaxPort === null) return [];
  const families: Family[] = s.ipv6 ? ['ipv4', 'ipv6'] : ['ipv4'];
  const advice = serverAdvice(s);
  for (const family of families) {
    const inbound = inboundFilter(w.rules, family);
    const lo = s.pasvMinPort;
    const hi = s.pasvMaxPort;
    const control = new Set(controlPorts(w));
    // A rule for one port or a few (another service, a control port on 2121) is not a passive range:
    // only ranges touching the server's range, or wide ones, are.
    const opened = explicitlyOpenedRanges(inbound)
      .map((o) => ({
        rule: o.rule,
        ranges: o.ranges.filter(
          ([a, b]) => !(a === b && control.has(a)) && ((a <= hi && b >= lo) || b - a + 1 >= MIN_RANGE_PORTS),
        ),
      }))
      .filter((o) => o.ranges.length > 0);
    if (opened.length === 0) continue;
    const gaps = uncovered(
      s.pasvMinPort,
      s.pasvMaxPort,
      opened.flatMap((o) => o.ranges),
    );
    if (gaps.length === 0) continue;
    const helperPath = helperRulesFor(currentHealth(w), family).length > 0 && inbound.some(acceptsRelated);
    const gapText = gaps.map(formatRange).join(', ');
    const openedText = opened.flatMap((o) => o.ranges.map(formatRange)).join(', ');
    const drops = w.drops.filter(
      (d) =>
        d.at >= recentFrom(now) &&
        d.dport !== null &&
        gaps.some(([lo, hi]) => d.dport !== null && d.dport >= lo && d.dport <= hi),
    );
    const explanation = [
      `${s.configPath} sets the passive port range to ${s.pasvMinPort}-${s.pasvMaxPort}, but the ${family} rules open ${openedText}: ports ${gapText} are not opened.`,
      helperPath
        ? 'Plain FTP still works because the helper and a RELATED rule let data connections through, but any session the helper cannot read (FTPS) will fail on those ports.'
        : `Passive data connections to ports ${gapText} are dropped.`,
      drops.length > 0
        ? `NFLOG shows ${drops.length} dropped packets to those ports in the last minute.`
        : '',
      `Make the two ranges the same: open the server's range, or change ${advice.terms.passiveRange}.`,
    ]
      .filter(Boolean)
      .join(' ');
    return [
      {
        kind: 'passive-range-mismatch',
        severity: helperPath && drops.length === 0 ? 'warning' : 'critical',
        title: `Passive port range mismatch: server uses ${s.pasvMinPort}-${s.pasvMaxPort}, firewall opens ${openedText}`,
        explanation,
        evidence: [
          {
            type: 'settings',
            id: s.configPath,
            label: `${s.configPath}: ${advice.terms.passiveRange} ${s.pasvMinPort}-${s.pasvMaxPort}`,
          },
          ...opened.map((o) => ({ type: 'rule' as const, id: o.rule.id, label: ruleLabel(o.rule) })),
          ...dropEvidence(drops),
        ],
        ...fixed(
          fixWriter(w).openRange(w, families, [s.pasvMinPort, s.pasvMaxPort]),
          [],
          [
            `# or set ${advice.terms.passiveRange} in ${s.configPath} to a range the rules open, and restart ${advice.name}`,
          ],
        ),
      },
    ];
  }
  return [];
};
