import type { Family } from '@ftpscope/shared';
import { fixed, fixWriter } from '../fixes/index.ts';
import { serverAdvice } from '../ftp-server-advice.ts';
import type { DiagnosisRule, Finding } from '../types.ts';
import {
  currentHealth,
  describeDrops,
  helperRulesFor,
  plural,
  recentSessions,
  ruleDropEvidence,
  sessionEvidence,
} from './activity.ts';
import { noHelperCause, passiveFailures, passiveRangeOpened } from './data-channel.ts';

/**
 * The FTP server listens on a port no helper rule covers (helper rules exist, e.g. for 21, but the
 * server runs on 2121): the helper never sees that control connection.
 */
export const nonstandardControlPort: DiagnosisRule = (w, now) => {
  const health = currentHealth(w);
  if (!health || health.helperRules.length === 0) return [];
  const uncoveredSessions = recentSessions(w, now).filter(
    (s) => s.helper === null && noHelperCause(w, s) === 'port-not-covered',
  );
  const ports = new Set(uncoveredSessions.map((s) => s.server.port));
  const listen = w.settings?.listenPort;
  if (listen !== undefined) {
    const rules = helperRulesFor(health, 'ipv4');
    if (rules.length > 0 && !rules.some((h) => h.ports.length === 0 || h.ports.includes(listen)))
      ports.add(listen);
  }
  const findings: Finding[] = [];
  for (const port of [...ports].sort((a, b) => a - b)) {
    const sessions = uncoveredSessions.filter((s) => s.server.port === port);
    const families = (
      sessions.length > 0 ? [...new Set(sessions.map((s) => s.family))] : ['ipv4']
    ) as Family[];
    if (families.every((f) => passiveRangeOpened(w, f))) continue;
    const failures = families.map((f) =>
      passiveFailures(
        w,
        now,
        f,
        sessions.filter((s) => s.family === f),
      ),
    );
    const ruleDrops = sessions.length > 0 ? failures.flatMap((f) => f.ruleDrops) : [];
    const failing = sessions.length > 0 && failures.some((f) => f.any);
    const covered = [...new Set(health.helperRules.flatMap((h) => h.ports))].join(', ') || 'none';
    const explanation = [
      `The FTP server listens on port ${port}${listen === port && w.settings ? ` (${w.settings.configPath})` : ''}, but the helper rules only cover port ${covered}.`,
      sessions.length > 0
        ? `${plural(sessions.length, 'control session')} on port ${port} ran without the helper in the last minute.`
        : '',
      failing && ruleDrops.length > 0 ? `Inbound drops meanwhile: ${describeDrops(ruleDrops)}.` : '',
      'The helper only parses control connections its rule assigns it to, so no expectations are created and passive data connections are not RELATED. Add a helper rule for this port.',
    ]
      .filter(Boolean)
      .join(' ');
    findings.push({
      kind: 'nonstandard-control-port',
      subject: String(port),
      severity: failing ? 'critical' : 'warning',
      title: `FTP control port ${port} is not covered by any helper rule`,
      explanation,
      evidence: [
        ...(w.settings && listen === port
          ? [
              {
                type: 'settings' as const,
                id: w.settings.configPath,
                label: `${w.settings.configPath}: ${serverAdvice(w.settings).terms.controlPort} ${port}`,
              },
            ]
          : []),
        ...health.helperRules.slice(0, 3).map((h) => ({
          type: 'rule' as const,
          id: h.ruleId,
          label: `helper rule for ports ${h.ports.join(', ') || 'all'} (${h.family})`,
        })),
        ...sessionEvidence(sessions),
        ...ruleDropEvidence(ruleDrops, 'in the last minute'),
      ],
      ...fixed(fixWriter(w).assignHelper(w, families, [port])),
    });
  }
  return findings;
};
