import type { Family } from '@ftpscope/shared';
import { serverAdvice } from '../ftp-server-advice.ts';
import type { DiagnosisRule } from '../types.ts';
import { plural, recentFrom } from './activity.ts';
import { hostDropsRelated } from './data-channel.ts';
import {
  expectationEvidence,
  failedExpectations,
  recentExpectations,
  usedExpectations,
} from './expectations.ts';
import { unreachableFor, wrongAdvertisedAddress } from './wrong-advertised-address.ts';

/**
 * Passive expectations are created and go unused while this host drops nothing that could be the
 * data SYN: the SYN never arrives (a firewall or NAT on the way, or a wrong advertised address).
 */
export const expectationsUnused: DiagnosisRule = (w, now) => {
  const from = recentFrom(now);
  // Expectations for a private address offered to outside clients are wrong-advertised-address's, also
  // after it resolved (they stay in the window a minute).
  const passive = recentExpectations(w, now).filter(
    (e) => e.mode !== 'active' && !unreachableFor(w, e.src, e.dst),
  );
  const unused = failedExpectations(w, now, passive).filter((e) => e.fulfilledAt === null);
  if (unused.length === 0) return [];
  const used = usedExpectations(w, now, passive);
  // A client that asks for PASV and then gives up leaves one unused now and then; a pattern needs most.
  if (unused.length < used.length) return [];
  const expected = new Set(unused.map((e) => `${e.dst}:${e.port}`));
  if (w.drops.some((d) => d.at >= from && expected.has(`${d.dst}:${d.dport}`))) return [];
  // A host whose own filter drops RELATED data SYNs is related-not-accepted, not a missing SYN: one cause,
  // one diagnosis, whether or not its counters have reported the drops yet (or have counters at all).
  const families = [...new Set(unused.map((e) => e.family))] as Family[];
  if (families.some((f) => hostDropsRelated(w, f))) return [];
  // An address the clients cannot reach is its own diagnosis, with the server-side fix.
  if (wrongAdvertisedAddress(w, now).length > 0) return [];
  const ports = [...new Set(unused.map((e) => e.port))].slice(0, 5).join(', ');
  const pasv = w.settings?.pasvAddress;
  const advice = serverAdvice(w.settings);
  const term = advice.terms.advertisedAddress;
  const explanation = [
    `${plural(unused.length, 'passive expectation')} in the last minute ended unused (${used.length} used): the helper announced data ports ${ports}, but the client's data connection never reached this host, and the firewall here did not drop it.`,
    `Something between client and server blocks or misroutes it: a firewall or NAT upstream that does not open the passive ports, or ${pasv ? `the advertised address (${term} ${pasv}) is not where clients can reach this server` : 'a wrong advertised passive address'}.`,
  ].join(' ');
  return [
    {
      kind: 'expectations-unused',
      severity: 'warning',
      title: 'Passive data connections never arrive',
      explanation,
      evidence: [
        ...expectationEvidence(unused),
        ...(w.settings
          ? [
              {
                type: 'settings' as const,
                id: w.settings.configPath,
                label: `${w.settings.configPath}: ${term} ${pasv ?? '(unset)'}`,
              },
            ]
          : []),
      ],
      fix: [
        `# confirm the data SYNs never arrive here: tcpdump -ni any 'tcp[tcpflags] & tcp-syn != 0 and portrange ${w.settings?.pasvMinPort ?? 1024}-${w.settings?.pasvMaxPort ?? 65535}'`,
        `# then open the passive range on the firewall/NAT in front of this host, or correct ${term} in ${w.settings?.configPath ?? `the ${advice.name} config`}`,
      ],
    },
  ];
};
