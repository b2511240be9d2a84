import { readFileSync } from 'node:fs';

/** Share of one core the rule poll may use before its interval backs off. */
const BUDGET = 0.02;
const MAX_INTERVAL_MS = 60_000;
/** Weight of the newest poll in the average cost: one costly poll (a recheck of every tool) does not back off alone. */
const ALPHA = 0.25;

/** CPU ms of the tools this process ran and reaped (cutime + cstime from /proc/self/stat; 0 off Linux). */
export function childCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state(3)...; cutime and cstime are fields 16 and 17 (1-based, whole line).
    return ((Number(f[13]) || 0) + (Number(f[14]) || 0)) * 10; // clock ticks of 10 ms (USER_HZ=100)
  } catch {
    return 0;
  }
}

/** CPU ms this process has used so far (user + system). */
export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Keeps the rule poll under ~2% of a core: the caller measures what each poll cost (its own CPU while it
 * parsed, plus the tools it ran; not the rest of the process, which handles events meanwhile) and records it;
 * the interval stretches when the average cost over the last polls exceeds the budget, and comes back as it
 * falls. Ruleset changes do not wait for it: they are notified (nft monitor).
 */
export class PollBudget {
  intervalMs: number;
  /** Average CPU ms of one poll, weighted to the recent ones. */
  avgCostMs = 0;

  constructor(private readonly configuredMs: number) {
    this.intervalMs = configuredMs;
  }

  record(costMs: number): void {
    this.avgCostMs += ALPHA * (Math.max(0, costMs) - this.avgCostMs);
    const needed = Math.min(MAX_INTERVAL_MS, Math.ceil(this.avgCostMs / BUDGET / 100) * 100);
    this.intervalMs = Math.max(this.configuredMs, needed);
  }
}
