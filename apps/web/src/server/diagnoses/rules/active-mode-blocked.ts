import type { Family } from '@ftpscope/shared';
import { fixed, fixWriter } from '../fixes/index.ts';
import { NOT_ESTABLISHED_AFTER_MS } from '../thresholds.ts';
import type { DiagnosisRule } from '../types.ts';
import {
  describeDrops,
  dropsByRule,
  plural,
  recentFrom,
  ruleDropEvidence,
  totalPackets,
} from './activity.ts';
import { expectationEvidence, failedExpectations, recentExpectations } from './expectations.ts';
import { acceptsRelated, outboundFilter } from './firewall.ts';
import { overlapsGap } from './gaps.ts';

/**
 * Active mode: the helper saw PORT/EPRT and created an expectation, but the server's connection
 * from port 20 back to the client is dropped on the way out (OUTPUT) or never answered (the
 * client's side blocks it).
 */
export const activeModeBlocked: DiagnosisRule = (w, now) => {
  const from = recentFrom(now);
  const active = recentExpectations(w, now).filter((e) => e.mode === 'active');
  if (active.length === 0) return [];
  const failed = failedExpectations(w, now, active);
  const unanswered = w.dataConnections.filter(
    (c) =>
      c.mode === 'active' &&
      !c.established &&
      c.startedAt >= from &&
      c.startedAt <= now - NOT_ESTABLISHED_AFTER_MS &&
      !overlapsGap(w, c.startedAt, now),
  );
  const families = [...new Set(active.map((e) => e.family))] as Family[];
  const ruleDrops = families
    .flatMap((f) => dropsByRule(w, from, outboundFilter(w.rules, f)))
    .sort((a, b) => b.packets - a.packets);
  const droppedOut = failed.length > 0 && ruleDrops.length > 0;
  if (!droppedOut && unanswered.length === 0) return [];
  const relatedOut = families.every((f) => outboundFilter(w.rules, f).some(acceptsRelated));
  const explanation = [
    `The FTP helper created ${plural(active.length, 'active-mode expectation')} (PORT/EPRT) in the last minute; ${plural(failed.length, 'connection')} from the server back to the client did not come through.`,
    droppedOut
      ? `Outbound drop rules counted ${totalPackets(ruleDrops)} packets: ${describeDrops(ruleDrops)}${relatedOut ? '' : ', and no OUTPUT rule accepts RELATED'}.`
      : '',
    unanswered.length > 0
      ? `${plural(unanswered.length, 'server-to-client data connection')} left this host but never got an answer: something between the server and the client (the client's firewall or NAT) blocks incoming connections from port 20.`
      : '',
    'Clients behind NAT or firewalls should use passive mode.',
  ]
    .filter(Boolean)
    .join(' ');
  const fix = droppedOut
    ? fixed(fixWriter(w).acceptRelated(w, families, 'out'))
    : {
        fix: [
          '# nothing to change on this host: tell the client to use passive mode (lftp: set ftp:passive-mode on; curl: default)',
        ],
      };
  return [
    {
      kind: 'active-mode-blocked',
      severity: 'critical',
      title: 'Active-mode data connections are blocked',
      explanation,
      evidence: [
        ...expectationEvidence(failed.length > 0 ? failed : active),
        ...ruleDropEvidence(ruleDrops, 'in the last minute'),
      ],
      ...fix,
    },
  ];
};
