import { fixed, fixWriter } from '../fixes/index.ts';
import { serverAdvice } from '../ftp-server-advice.ts';
import type { DiagnosisRule } from '../types.ts';
import {
  describeDrops,
  dropEvidence,
  dropsSeenBy,
  plural,
  recentSessions,
  ruleDropEvidence,
  sessionEvidence,
  totalPackets,
} from './activity.ts';
import { helperDependentFailures } from './data-channel.ts';
import { overlapsGap } from './gaps.ts';

/**
 * The helper is assigned but the control channel is encrypted (AUTH TLS / FTPS), so it cannot read
 * the PASV reply, creates no expectation, and the data connection is dropped as a plain NEW one.
 */
export const helperBlindTls: DiagnosisRule = (w, now) => {
  const withExpectation = new Set(w.expectations.map((e) => e.sessionId));
  const tlsKnown = w.settings?.tls === true;
  // A session that lived through a gap may have had an expectation whose event was lost.
  const sessions = recentSessions(w, now).filter(
    (s) =>
      s.helper !== null &&
      (s.tls || tlsKnown) &&
      !withExpectation.has(s.id) &&
      !overlapsGap(w, s.startedAt, s.endedAt ?? now),
  );
  const { families, affected, failures } = helperDependentFailures(w, now, sessions);
  if (affected.length === 0 || !failures.some((f) => f.any)) return [];
  const ruleDrops = failures.flatMap((f) => f.ruleDrops).sort((a, b) => b.packets - a.packets);
  const drops = failures.flatMap((f) => f.drops);
  const s = w.settings;
  const range: [number, number] | null =
    s && s.pasvMinPort !== null && s.pasvMaxPort !== null ? [s.pasvMinPort, s.pasvMaxPort] : null;
  const explanation = [
    `${plural(affected.length, 'FTP control session')} had the FTP helper assigned but produced no expectation at all in the last minute.`,
    affected.some((x) => x.tls)
      ? 'These sessions negotiated TLS (AUTH TLS in the server log):'
      : 'The FTP server has TLS enabled:',
    'the helper cannot read the encrypted PASV/EPSV replies, so it never learns the data port and the data connection arrives as a plain NEW connection.',
    totalPackets(ruleDrops) > 0 ? `Inbound drops meanwhile: ${describeDrops(ruleDrops)}.` : '',
    drops.length > 0
      ? `${dropsSeenBy(drops)} ${plural(drops.length, 'dropped data packet')} from these clients.`
      : '',
    'With FTPS the passive port range has to be opened explicitly (the helper cannot help).',
  ]
    .filter(Boolean)
    .join(' ');
  const fix = range
    ? fixed(fixWriter(w).openRange(w, families, range))
    : fixed(fixWriter(w).openRange(w, families, [40000, 40100]), [
        `# give ${serverAdvice(s).name} a passive range (${serverAdvice(s).terms.passiveRange}), then open it:`,
        ...(s ? serverAdvice(s).passiveRange(s.configPath, [40000, 40100]) : []),
      ]);
  return [
    {
      kind: 'helper-blind-tls',
      severity: 'critical',
      title: 'FTP helper is blind to TLS: passive data connections are dropped',
      explanation,
      evidence: [
        ...sessionEvidence(affected),
        ...ruleDropEvidence(ruleDrops, 'in the last minute'),
        ...dropEvidence(drops),
        ...(s
          ? [
              {
                type: 'settings' as const,
                id: s.configPath,
                label: `${s.configPath}: TLS ${s.tls ? 'on' : 'off'}${range ? `, passive ports ${range[0]}-${range[1]}` : ''}`,
              },
            ]
          : []),
      ],
      ...fix,
    },
  ];
};
