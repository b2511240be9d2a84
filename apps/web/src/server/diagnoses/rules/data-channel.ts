import type { DataConnection, Family, FtpSession, RuleDef } from '@ftpscope/shared';
import type { Drop, HostWindow } from '../types.ts';
import {
  currentHealth,
  dataDrops,
  dropsByRule,
  failedDataConnections,
  helperCoversPort,
  helperRulesFor,
  recentFrom,
  tracedRuleDrops,
} from './activity.ts';
import { acceptsRelated, explicitlyOpenedRanges, inboundFilter, isDropRule, uncovered } from './firewall.ts';

/** Why a control session runs without the FTP helper. */
export type NoHelperCause = 'no-helper-rules' | 'other-family-only' | 'port-not-covered' | 'covered';

/** Classifies a helper-less session by the helper rules the host has (health.helperRules). */
export function noHelperCause(w: HostWindow, session: FtpSession): NoHelperCause {
  const all = currentHealth(w)?.helperRules ?? [];
  if (all.length === 0) return 'no-helper-rules';
  const mine = helperRulesFor(currentHealth(w), session.family);
  if (mine.length === 0) return 'other-family-only';
  // A session older than the helper rule keeps helper=null: the rule covers it, nothing to report.
  return mine.some((h) => helperCoversPort(h, session.server.port)) ? 'covered' : 'port-not-covered';
}

/** Evidence that data channels of some sessions fail: drop counters, NFLOG drops, unanswered data SYNs. */
export interface DataFailure {
  ruleDrops: Array<{ rule: RuleDef; packets: number }>;
  drops: Drop[];
  failed: DataConnection[];
  any: boolean;
}

/** Collects inbound failure evidence for passive data channels of `sessions` in one family. */
export function passiveFailures(
  w: HostWindow,
  now: number,
  family: Family,
  sessions: FtpSession[],
): DataFailure {
  const from = recentFrom(now);
  const counted = dropsByRule(w, from, inboundFilter(w.rules, family));
  const drops = dataDrops(w, from, new Set(sessions.map((s) => s.client.ip)));
  const ruleDrops = [...counted, ...tracedRuleDrops(w, drops, counted)].sort((a, b) => b.packets - a.packets);
  const failed = failedDataConnections(w, now, new Set(sessions.map((s) => s.id))).filter(
    (c) => c.mode !== 'active',
  );
  return { ruleDrops, drops, failed, any: ruleDrops.length > 0 || drops.length > 0 || failed.length > 0 };
}

/**
 * Whether inbound rules open the server's passive range for new connections, so data channels do
 * not depend on the helper. Without the server's settings, any explicit unprivileged range counts.
 */
export function passiveRangeOpened(w: HostWindow, family: Family): boolean {
  const opened = explicitlyOpenedRanges(inboundFilter(w.rules, family)).flatMap((o) => o.ranges);
  if (opened.length === 0) return false;
  const s = w.settings;
  if (!s || s.pasvMinPort === null || s.pasvMaxPort === null) return true;
  return uncovered(s.pasvMinPort, s.pasvMaxPort, opened).length === 0;
}

/**
 * The sessions of the families whose passive range no rule opens (their data channels depend on the helper),
 * those families, and the failure evidence per family.
 */
export function helperDependentFailures(
  w: HostWindow,
  now: number,
  sessions: FtpSession[],
): { families: Family[]; affected: FtpSession[]; failures: DataFailure[] } {
  const families = [...new Set(sessions.map((s) => s.family))].filter((f) => !passiveRangeOpened(w, f));
  const affected = sessions.filter((s) => families.includes(s.family));
  const failures = families.map((f) =>
    passiveFailures(
      w,
      now,
      f,
      affected.filter((s) => s.family === f),
    ),
  );
  return { families, affected, failures };
}

/**
 * Whether this host's own inbound filter drops a passive data SYN even when the helper announced it: it
 * drops something (a DROP policy or a drop/reject rule), accepts no RELATED packets and does not open the
 * passive range. Decided from the
 * rules alone, so it holds before any counter moved, and for rules without counters (firewalld, most nftables).
 */
export function hostDropsRelated(w: HostWindow, family: Family): boolean {
  const inbound = inboundFilter(w.rules, family);
  return inbound.some(isDropRule) && !inbound.some(acceptsRelated) && !passiveRangeOpened(w, family);
}
