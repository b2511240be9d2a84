import type {
  CollectorEvent,
  DataConnection,
  Expectation,
  FirewallInfo,
  FtpServerSettings,
  FtpSession,
  Gap,
  NetfilterHealth,
  RuleDef,
} from '@ftpscope/shared';
import type { HostInfo } from './host-monitor.types.ts';

/** A rule with its latest counters (null when no poll reported it). */
export type RuleWithCounters = RuleDef & { packets: number | null; bytes: number | null };

/** One host in the `--once` output. */
export interface OnceHost {
  name: string;
  netns: string | null;
  info: HostInfo | null;
  sessions: FtpSession[];
  expectations: Expectation[];
  dataConnections: DataConnection[];
  rules: RuleWithCounters[];
  health: NetfilterHealth | null;
  settings: FtpServerSettings | null;
  /** The firewall manager as detected (null when detection did not finish). */
  firewall: FirewallInfo | null;
  gaps: Gap[];
  problems: string[];
}

/** Folds a monitor's snapshot events into the readable per-host object `--once --json` prints. */
export function onceHost(
  name: string,
  netns: string | null,
  info: HostInfo | null,
  events: CollectorEvent[],
  extraProblems: string[] = [],
): OnceHost {
  const sessions = new Map<string, FtpSession>();
  const expectations = new Map<string, Expectation>();
  const data = new Map<string, DataConnection>();
  const counters = new Map<string, { packets: number; bytes: number }>();
  const gaps: Gap[] = [];
  let rules: RuleDef[] = [];
  let health: NetfilterHealth | null = null;
  let settings: FtpServerSettings | null = null;
  let firewall: FirewallInfo | null = null;
  for (const e of events) {
    if (e.kind === 'session') sessions.set(e.session.id, e.session);
    else if (e.kind === 'expectation') expectations.set(e.expectation.id, e.expectation);
    else if (e.kind === 'data') data.set(e.data.id, e.data);
    else if (e.kind === 'ruleset') rules = e.rules;
    else if (e.kind === 'counters') for (const c of e.counters) counters.set(c.ruleId, c);
    else if (e.kind === 'health') health = e.health;
    else if (e.kind === 'settings') settings = e.settings;
    else if (e.kind === 'gap') gaps.push(e.gap);
    else if (e.kind === 'firewall') firewall = e.firewall;
  }
  return {
    name,
    netns,
    info,
    sessions: [...sessions.values()],
    expectations: [...expectations.values()],
    dataConnections: [...data.values()],
    rules: rules.map((r) => ({
      ...r,
      packets: counters.get(r.id)?.packets ?? null,
      bytes: counters.get(r.id)?.bytes ?? null,
    })),
    health,
    settings,
    firewall,
    gaps,
    problems: [...(info?.problems ?? []), ...extraProblems],
  };
}

/** A few human lines per host, for `--once` without `--json`. */
export function formatSummary(hosts: OnceHost[]): string {
  const lines: string[] = [];
  for (const h of hosts) {
    const active = h.sessions.filter((s) => s.endedAt === null).length;
    const where = h.netns ? ` (netns ${h.netns})` : '';
    lines.push(
      `${h.name}${where}: kernel ${h.info?.kernel ?? '?'}, backends ${h.info?.backends.join(', ') || 'none'}`,
    );
    lines.push(
      `  ${h.sessions.length} FTP sessions (${active} active), ${h.expectations.length} expectations, ` +
        `${h.dataConnections.length} data connections, ${h.rules.length} rules`,
    );
    if (h.health) {
      lines.push(
        `  conntrack ${h.health.conntrackCount}/${h.health.conntrackMax}, helper rules ${h.health.helperRules.length}`,
      );
    }
    if (h.firewall) {
      const zones = h.firewall.firewalld?.ftpZones.map((z) => z.name).join(', ');
      lines.push(
        `  firewall manager ${h.firewall.manager}${zones ? ` (zones ${zones})` : ''}, observation table ${h.firewall.observe}`,
      );
    }
    for (const p of h.problems) lines.push(`  problem: ${p}`);
  }
  return `${lines.join('\n')}\n`;
}
