import { fixed, fixWriter } from '../fixes/index.ts';
import type { DiagnosisRule } from '../types.ts';
import {
  controlPorts,
  describeDrops,
  dropEvidence,
  plural,
  recentSessions,
  ruleDropEvidence,
  sessionEvidence,
} from './activity.ts';
import { noHelperCause, passiveFailures, passiveRangeOpened } from './data-channel.ts';

/**
 * The helper is assigned to IPv4 control sessions but not to IPv6 ones: the raw-table rule exists
 * in iptables but not in ip6tables (or only in an nftables `ip` table), so IPv6 data channels fail.
 */
export const helperIpv4Only: DiagnosisRule = (w, now) => {
  const v6 = recentSessions(w, now).filter(
    (s) => s.family === 'ipv6' && s.helper === null && noHelperCause(w, s) === 'other-family-only',
  );
  if (v6.length === 0 || passiveRangeOpened(w, 'ipv6')) return [];
  const failure = passiveFailures(w, now, 'ipv6', v6);
  if (!failure.any) return [];
  const v4WithHelper = recentSessions(w, now).filter((s) => s.family === 'ipv4' && s.helper !== null);
  const explanation = [
    `The FTP helper is assigned by IPv4 rules only: ${plural(v6.length, 'IPv6 control session')} in the last minute ran without it${v4WithHelper.length > 0 ? ` while ${plural(v4WithHelper.length, 'IPv4 session')} had it` : ''}.`,
    failure.ruleDrops.length > 0 ? `IPv6 inbound drops meanwhile: ${describeDrops(failure.ruleDrops)}.` : '',
    failure.drops.length > 0
      ? `NFLOG shows ${plural(failure.drops.length, 'dropped IPv6 data packet')}.`
      : '',
    'IPv6 passive data connections are not RELATED and are dropped. Add the helper rule for IPv6 too (ip6tables, or an nftables inet/ip6 table).',
  ]
    .filter(Boolean)
    .join(' ');
  return [
    {
      kind: 'helper-ipv4-only',
      severity: 'critical',
      title: 'FTP helper assigned for IPv4 only: IPv6 data connections fail',
      explanation,
      evidence: [
        ...sessionEvidence(v6),
        ...sessionEvidence(v4WithHelper.slice(0, 1)),
        ...ruleDropEvidence(failure.ruleDrops, 'in the last minute'),
        ...dropEvidence(failure.drops),
      ],
      ...fixed(fixWriter(w).assignHelper(w, ['ipv6'], controlPorts(w))),
    },
  ];
};
