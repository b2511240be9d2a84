import type { Family, FtpSession, NetfilterHealth, RuleDef } from '@ftpscope/shared';
import { MAX_EVIDENCE_PER_TYPE, NOT_ESTABLISHED_AFTER_MS, RECENT_MS } from '../thresholds.ts';
import type { Drop, Evidence, HostWindow } from '../types.ts';
import { coversFamily, isDropRule, ruleLabel } from './firewall.ts';
import { overlapsGap } from './gaps.ts';

/** Start of the recent window. */
export function recentFrom(now: number): number {
  return now - RECENT_MS;
}

/** Sessions active now or ended inside the recent window. */
export function recentSessions(w: HostWindow, now: number): FtpSession[] {
  const from = recentFrom(now);
  return w.sessions.filter((s) => s.endedAt === null || s.endedAt >= from);
}

/** Packets each drop rule counted since `from`, biggest first (rules absent from the ruleset are skipped). */
export function dropsByRule(
  w: HostWindow,
  from: number,
  candidates: RuleDef[],
): Array<{ rule: RuleDef; packets: number }> {
  const wanted = new Map(candidates.filter(isDropRule).map((r) => [r.id, r]));
  const sums = new Map<string, number>();
  for (const s of w.counterSamples) {
    if (s.at < from || !wanted.has(s.ruleId)) continue;
    sums.set(s.ruleId, (sums.get(s.ruleId) ?? 0) + s.dPackets);
  }
  return [...sums]
    .filter(([, n]) => n > 0)
    .map(([id, packets]) => ({ rule: wanted.get(id) as RuleDef, packets }))
    .sort((a, b) => b.packets - a.packets);
}

/** Total of dropsByRule. */
export function totalPackets(list: Array<{ packets: number }>): number {
  return list.reduce((n, x) => n + x.packets, 0);
}

/** NFLOG drops since `from` of TCP packets to unprivileged ports (data channels), optionally from given clients. */
export function dataDrops(w: HostWindow, from: number, clients?: Set<string>): Drop[] {
  return w.drops.filter(
    (d) =>
      d.at >= from &&
      d.proto.toLowerCase() === 'tcp' &&
      d.dport !== null &&
      d.dport >= 1024 &&
      (clients === undefined || clients.has(d.src)),
  );
}

/** Data connections of these sessions that never got a reply, old enough to have had one. */
export function failedDataConnections(w: HostWindow, now: number, sessionIds: Set<string>) {
  const from = recentFrom(now);
  return w.dataConnections.filter(
    (c) =>
      c.sessionId !== null &&
      sessionIds.has(c.sessionId) &&
      !c.established &&
      c.startedAt >= from &&
      c.startedAt <= now - NOT_ESTABLISHED_AFTER_MS &&
      // The reply that established it may be among the events a gap lost.
      !overlapsGap(w, c.startedAt, now),
  );
}

/** The newest health sample, if any. */
export function currentHealth(w: HostWindow): NetfilterHealth | null {
  return w.health.at(-1) ?? null;
}

/** Helper rules (raw CT --helper ftp, nft ct helper) that apply to a family. */
export function helperRulesFor(
  health: NetfilterHealth | null,
  family: Family,
): NetfilterHealth['helperRules'] {
  return (health?.helperRules ?? []).filter((h) => coversFamily(h.family, family));
}

/** Whether a helper rule covers a control port (a rule without ports covers them all). */
export function helperCoversPort(rule: NetfilterHealth['helperRules'][number], port: number): boolean {
  return rule.ports.length === 0 || rule.ports.includes(port);
}

/** Ports the FTP server listens on: its config, else the server ports of the sessions seen. */
export function controlPorts(w: HostWindow): number[] {
  const ports = new Set<number>();
  if (w.settings) ports.add(w.settings.listenPort);
  for (const s of w.sessions) ports.add(s.server.port);
  if (ports.size === 0) ports.add(21);
  return [...ports].sort((a, b) => a - b);
}

/** Evidence links for sessions (at most a few). */
export function sessionEvidence(sessions: FtpSession[]): Evidence[] {
  return sessions.slice(0, MAX_EVIDENCE_PER_TYPE).map((s) => ({
    type: 'session',
    id: s.id,
    label: `${s.client.ip}:${s.client.port} → ${s.server.ip}:${s.server.port} (helper ${s.helper ?? 'none'}${s.tls ? ', TLS' : ''})`,
  }));
}

/** Evidence links for drop rules with their packet counts. */
export function ruleDropEvidence(
  list: Array<{ rule: RuleDef; packets: number }>,
  windowLabel: string,
): Evidence[] {
  return list.slice(0, MAX_EVIDENCE_PER_TYPE).map(({ rule, packets }) => ({
    type: 'rule',
    id: rule.id,
    label: `${ruleLabel(rule)}: ${packets} packets dropped ${windowLabel}`,
  }));
}

/** Evidence links for NFLOG drops. */
export function dropEvidence(drops: Drop[]): Evidence[] {
  return drops.slice(0, MAX_EVIDENCE_PER_TYPE).map((d) => ({
    type: 'drop',
    id: d.id,
    label:
      `${new Date(d.at).toISOString()} ${d.proto} ${d.src}:${d.sport ?? '?'} → ${d.dst}:${d.dport ?? '?'} ${d.flags ? `[${d.flags}]` : ''}`.trim(),
  }));
}

/** "NFLOG shows" or "ftpscope's observation table traced" (or both), by where the drops were seen. */
export function dropsSeenBy(drops: Drop[]): string {
  const traced = drops.some((d) => d.source === 'trace');
  const logged = drops.some((d) => d.source !== 'trace');
  if (traced && logged) return 'NFLOG and the observation table show';
  return traced ? "ftpscope's observation table traced" : 'NFLOG shows';
}

/**
 * Rules that traced drops name (the observation table needs no counters): packets per rule, for rules the
 * counters did not already report.
 */
export function tracedRuleDrops(
  w: HostWindow,
  drops: Drop[],
  counted: Array<{ rule: RuleDef; packets: number }>,
): Array<{ rule: RuleDef; packets: number }> {
  const have = new Set(counted.map((c) => c.rule.id));
  const byId = new Map(w.rules.map((r) => [r.id, r]));
  const sums = new Map<string, number>();
  for (const d of drops) {
    if (d.source !== 'trace' || d.ruleId === null || have.has(d.ruleId) || !byId.has(d.ruleId)) continue;
    sums.set(d.ruleId, (sums.get(d.ruleId) ?? 0) + 1);
  }
  return [...sums].map(([id, packets]) => ({ rule: byId.get(id) as RuleDef, packets }));
}

/** Evidence link for a health sample. */
export function healthEvidence(h: NetfilterHealth, label: string): Evidence {
  return { type: 'health', id: String(h.at), label };
}

/** "12 packets on INPUT policy DROP (ipv4 filter)" for the explanation. */
export function describeDrops(list: Array<{ rule: RuleDef; packets: number }>): string {
  return list
    .slice(0, 3)
    .map(({ rule, packets }) => `${packets} packet${packets === 1 ? '' : 's'} on ${ruleLabel(rule)}`)
    .join(', ');
}

/** "3 sessions" / "1 session". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
