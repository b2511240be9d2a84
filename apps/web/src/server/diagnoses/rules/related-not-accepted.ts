import type { Family } from '@ftpscope/shared';
import { fixed, fixWriter } from '../fixes/index.ts';
import type { DiagnosisRule } from '../types.ts';
import {
  describeDrops,
  dropEvidence,
  dropsByRule,
  dropsSeenBy,
  plural,
  recentFrom,
  ruleDropEvidence,
  totalPackets,
} from './activity.ts';
import { hostDropsRelated } from './data-channel.ts';
import { expectationEvidence, failedExpectations, recentExpectations } from './expectations.ts';
import { inboundFilter } from './firewall.ts';

/**
 * The helper works (expectations are created) but no inbound rule accepts RELATED packets, so the
 * data SYN that matches the expectation is dropped like any new connection.
 */
export const relatedNotAccepted: DiagnosisRule = (w, now) => {
  const from = recentFrom(now);
  const failed = failedExpectations(
    w,
    now,
    recentExpectations(w, now).filter((e) => e.mode !== 'active'),
  );
  const families = ([...new Set(failed.map((e) => e.family))] as Family[]).filter((f) =>
    hostDropsRelated(w, f),
  );
  if (families.length === 0) return [];
  const ruleDrops = families
    .flatMap((f) => dropsByRule(w, from, inboundFilter(w.rules, f)))
    .sort((a, b) => b.packets - a.packets);
  if (ruleDrops.length === 0) return [];
  const affected = failed.filter((e) => families.includes(e.family));
  const ports = new Set(affected.map((e) => `${e.dst}:${e.port}`));
  const drops = w.drops.filter((d) => d.at >= from && ports.has(`${d.dst}:${d.dport}`));
  const explanation = [
    `The FTP helper created ${plural(affected.length, 'expectation')} for passive data connections in the last minute, but none led to a working data connection.`,
    `No inbound rule accepts RELATED connections (e.g. "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"), so the data SYN the helper announced is treated like any new connection and dropped: ${totalPackets(ruleDrops)} packets were dropped, ${describeDrops(ruleDrops)}.`,
    drops.length > 0
      ? `${dropsSeenBy(drops)} ${plural(drops.length, 'dropped packet')} to the expected data ports.`
      : '',
    'Accept RELATED (and ESTABLISHED) packets before the drop rules.',
  ]
    .filter(Boolean)
    .join(' ');
  return [
    {
      kind: 'related-not-accepted',
      severity: 'critical',
      title: 'RELATED not accepted: data connections announced by the helper are dropped',
      explanation,
      evidence: [
        ...expectationEvidence(affected),
        ...ruleDropEvidence(ruleDrops, 'in the last minute'),
        ...dropEvidence(drops),
      ],
      ...fixed(fixWriter(w).acceptRelated(w, families, 'in')),
    },
  ];
};
