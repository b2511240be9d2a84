import { fixed, fixWriter, managerOpensBarePort } from '../fixes/index.ts';
import type { DiagnosisRule, Finding } from '../types.ts';
import {
  controlPorts,
  describeDrops,
  dropEvidence,
  dropsSeenBy,
  plural,
  recentSessions,
  ruleDropEvidence,
  sessionEvidence,
  totalPackets,
} from './activity.ts';
import { helperDependentFailures, noHelperCause } from './data-channel.ts';

/**
 * Control sessions run without the FTP helper because no rule assigns it at all, so the passive
 * data SYNs are not RELATED and die on a drop rule or policy. Sessions of a family whose helper is
 * missing while the other family has one are helper-ipv4-only; uncovered ports are nonstandard-control-port.
 */
export const ftpHelperNotAssigned: DiagnosisRule = (w, now) => {
  const sessions = recentSessions(w, now).filter(
    (s) => s.helper === null && noHelperCause(w, s) === 'no-helper-rules',
  );
  const { families, affected, failures } = helperDependentFailures(w, now, sessions);
  if (affected.length === 0 || !failures.some((f) => f.any)) return [];
  const ruleDrops = failures.flatMap((f) => f.ruleDrops).sort((a, b) => b.packets - a.packets);
  const drops = failures.flatMap((f) => f.drops);
  const failed = failures.flatMap((f) => f.failed);
  const dropped = totalPackets(ruleDrops);
  const parts = [
    `${plural(affected.length, 'FTP control session')} in the last minute ran without the FTP conntrack helper (helper=none), and no rule on this host assigns it (no raw-table "CT --helper ftp" rule, no nftables "ct helper").`,
    'Without the helper the kernel never learns the data port from the PASV/EPSV reply, creates no expectation, and the data connection arrives as a plain NEW connection instead of RELATED.',
  ];
  if (dropped > 0)
    parts.push(`Meanwhile inbound drop rules counted ${dropped} packets: ${describeDrops(ruleDrops)}.`);
  const bare = managerOpensBarePort(w, controlPorts(w));
  if (bare) parts.push(bare);
  if (drops.length > 0) {
    const ports = [...new Set(drops.map((d) => d.dport))].slice(0, 5).join(', ');
    parts.push(
      `${dropsSeenBy(drops)} ${plural(drops.length, 'dropped data packet')} from these clients to ports ${ports}.`,
    );
  }
  if (failed.length > 0) parts.push(`${plural(failed.length, 'data connection')} never got a reply.`);
  parts.push(
    'Logins work but listings and transfers in passive mode hang. Assign the helper to the control port.',
  );
  const finding: Finding = {
    kind: 'ftp-helper-not-assigned',
    severity: 'critical',
    title: 'FTP helper not assigned: passive data connections are dropped',
    explanation: parts.join(' '),
    evidence: [
      ...sessionEvidence(affected),
      ...ruleDropEvidence(ruleDrops, 'in the last minute'),
      ...dropEvidence(drops),
    ],
    ...fixed(fixWriter(w).assignHelper(w, families, controlPorts(w))),
  };
  return [finding];
};
