import type { RuleDef } from '@ftpscope/shared';
import { fixTool } from '../fixes/runtime.ts';
import { HISTORY_MS, MAX_EVIDENCE_PER_TYPE, MIN_BASELINE_MS, MIN_EXTRA_DROPS } from '../thresholds.ts';
import type { CounterSample, DiagnosisRule, Finding, HostWindow, RulesetChange } from '../types.ts';
import { recentFrom } from './activity.ts';
import { direction, isDropRule, ruleLabel } from './firewall.ts';

/** Longest baseline before a change that is compared with what came after. */
const MAX_BASELINE_MS = 5 * 60_000;
/** Changes closer together than this are one change (e.g. a flush followed by a restore). */
const BURST_MS = 5_000;

function sum(samples: CounterSample[] | undefined, from: number, to: number): number {
  let n = 0;
  for (const s of samples ?? []) if (s.at >= from && s.at < to) n += s.dPackets;
  return n;
}

function byRule(samples: CounterSample[]): Map<string, CounterSample[]> {
  const out = new Map<string, CounterSample[]>();
  for (const s of samples) {
    const list = out.get(s.ruleId);
    if (list) list.push(s);
    else out.set(s.ruleId, [s]);
  }
  return out;
}

/** "+2 -1 rules, filter INPUT policy ACCEPT→DROP" */
export function describeChange(c: RulesetChange): string {
  const parts = [`+${c.diff.added.length} −${c.diff.removed.length} rules`];
  if (c.diff.moved.length > 0) parts.push(`${c.diff.moved.length} moved`);
  for (const p of c.diff.policyChanges)
    parts.push(`${p.family} ${p.table} ${p.chain} policy ${p.from}→${p.to}`);
  return parts.join(', ');
}

interface Rise {
  rule: RuleDef;
  before: number;
  after: number;
  recent: number;
}

/**
 * The drop rate of a rule or policy rose after a ruleset change (compared with the same rule before
 * it), and drops go on: names the change and its diff.
 */
export const dropsAfterRulesetChange: DiagnosisRule = (w, now) => {
  if (w.countersSince === null) return [];
  const changes = w.rulesetChanges
    .filter((c) => c.at >= now - HISTORY_MS && c.at <= now)
    .sort((a, b) => a.at - b.at);
  const samples = byRule(w.counterSamples);
  const dropRules = w.rules.filter((r) => isDropRule(r) && samples.has(r.id));
  const findings: Finding[] = [];
  changes.forEach((change, i) => {
    // A profile switch is often seen as a burst (flush, then the new rules): the last change of a
    // burst is compared with the time before the burst's first change.
    const next = changes[i + 1];
    if (next && next.at - change.at < BURST_MS) return;
    let first = i;
    while (first > 0 && change.at - (changes[first - 1] as RulesetChange).at < BURST_MS) first--;
    const burstStart = (changes[first] as RulesetChange).at;
    const prev = changes[first - 1]?.at ?? 0;
    const baseFrom = Math.max(w.countersSince ?? now, prev, burstStart - MAX_BASELINE_MS);
    const baseSpan = burstStart - baseFrom;
    if (baseSpan < MIN_BASELINE_MS) return;
    const end = next?.at ?? now;
    const recentStart = Math.max(change.at, recentFrom(now));
    if (end <= recentStart) return;
    const afterSpan = Math.max(end - change.at, 1);
    const rises: Rise[] = [];
    for (const rule of dropRules) {
      const mine = samples.get(rule.id);
      const before = sum(mine, baseFrom, burstStart);
      const after = sum(mine, change.at, end + 1);
      const recent = sum(mine, recentStart, end + 1);
      const expected = (before / baseSpan) * afterSpan;
      if (recent > 0 && after - expected >= MIN_EXTRA_DROPS && after >= 2 * expected) {
        rises.push({ rule, before, after, recent });
      }
    }
    if (rises.length === 0) return;
    rises.sort((a, b) => b.after - a.after);
    findings.push(finding(w, change, rises, baseSpan, afterSpan));
  });
  return findings;
};

function finding(
  w: HostWindow,
  change: RulesetChange,
  rises: Rise[],
  baseSpan: number,
  afterSpan: number,
): Finding {
  const at = new Date(change.at).toISOString();
  const list = rises
    .slice(0, 3)
    .map(
      (r) =>
        `${ruleLabel(r.rule)}: ${r.after} packets in ${Math.round(afterSpan / 1000)} s after, ${r.before} in ${Math.round(baseSpan / 1000)} s before`,
    )
    .join('; ');
  const diffLines = [
    ...change.diff.policyChanges.map((p) => `policy ${p.chain} ${p.from}→${p.to}`),
    ...change.diff.added.slice(0, 5).map((t) => `+ ${t}`),
    ...change.diff.removed.slice(0, 5).map((t) => `− ${t}`),
  ];
  const tool = fixTool(w);
  const inspect =
    tool === 'nftables'
      ? [
          'nft -a list ruleset  # find the rules the change added, then nft delete rule FAMILY TABLE CHAIN handle N',
        ]
      : [
          `${tool === 'iptables-legacy' ? 'iptables-legacy' : 'iptables'} -L ${[...new Set(rises.map((r) => r.rule.chain))].join(' ')} -v -n --line-numbers`,
        ];
  const outbound = rises.some((r) => direction(r.rule) === 'out');
  return {
    kind: 'drops-after-ruleset-change',
    subject: change.id,
    severity: 'warning',
    title: `Drops rose after the ruleset change at ${at}`,
    explanation: [
      `The ruleset changed at ${at} (${describeChange(change)}), and since then the firewall drops more: ${list}.`,
      diffLines.length > 0 ? `The change: ${diffLines.join('; ')}.` : '',
      `If this traffic is FTP ${outbound ? 'data from this host' : 'data to this host'}, the change broke it; the other diagnoses for this host say what exactly is missing. Otherwise the new rules are doing their job.`,
    ]
      .filter(Boolean)
      .join(' '),
    evidence: [
      { type: 'change', id: change.id, label: `${at}: ${describeChange(change)}` },
      ...rises.slice(0, MAX_EVIDENCE_PER_TYPE).map((r) => ({
        type: 'rule' as const,
        id: r.rule.id,
        label: `${ruleLabel(r.rule)}: ${r.after} dropped since the change`,
      })),
    ],
    fix: inspect,
  };
}
