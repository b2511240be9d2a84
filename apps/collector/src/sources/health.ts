import type { NetfilterHealth } from '@ftpscope/shared';
import { describeFailure } from '../exec.ts';
import type { Exec } from '../host-monitor.types.ts';
import { parseConntrackStats, parseSysctls } from './health-parse.ts';

const SYSCTLS = [
  'nf_conntrack_count',
  'nf_conntrack_max',
  'nf_conntrack_expect_max',
  'nf_conntrack_acct',
  'nf_conntrack_timestamp',
];

/** Health without the parts other sources know (expectation count, helper rules). */
export type HealthReading = Omit<NetfilterHealth, 'expectCount' | 'helperRules'> & { problems: string[] };

/**
 * Reads netfilter health inside the namespace: `conntrack -S` totals and the /proc/sys/net/netfilter values
 * (read with `grep -H` run in the namespace, because /proc/sys/net shows the reader's own namespace).
 */
export async function readHealth(exec: Exec, netns: string | null, now: number): Promise<HealthReading> {
  const [stats, sys] = await Promise.all([
    exec('conntrack', ['-S'], { timeoutMs: 10_000 }),
    exec('grep', ['-H', '.', ...SYSCTLS.map((s) => `/proc/sys/net/netfilter/${s}`)], { timeoutMs: 10_000 }),
  ]);
  const problems: string[] = [];
  if (stats.code !== 0) problems.push(describeFailure('conntrack', stats, netns));
  // grep exits 2 when some file is missing (no nf_conntrack loaded yet) but still prints the others.
  if (sys.code !== 0 && sys.stdout === '') problems.push(describeFailure('grep', sys, netns));
  const totals = stats.code === 0 ? parseConntrackStats(stats.stdout).totals : {};
  const values = parseSysctls(sys.stdout).values;
  const num = (k: string) => {
    const v = Number(values.get(k));
    return Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0;
  };
  const flag = (k: string) => (values.has(k) ? values.get(k) !== '0' : null);
  return {
    at: now,
    conntrackCount: num('nf_conntrack_count'),
    conntrackMax: num('nf_conntrack_max'),
    expectMax: num('nf_conntrack_expect_max'),
    stats: totals,
    acct: flag('nf_conntrack_acct'),
    timestamp: flag('nf_conntrack_timestamp'),
    problems,
  };
}
