import { readFileSync } from 'node:fs';

/** Share of one core the rule poll may use before its interval backs off. */
const BUDGET = 0.02;
const MAX_INTERVAL_MS = 60_000;
/** Weight of the newest poll in the average cost: one costly poll (a recheck of every tool) does not back off alone. */
const ALPHA = 0.25;
/** After this many polls in a row where nothing changed, the interval doubles (up to QUIET_MAX_FACTOR times)... */
const QUIET_POLLS = 10;
/** ...so an idle host costs a quarter of a busy one; the first change brings the configured interval back. */
const QUIET_MAX_FACTOR = 4;

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
 * falls. Ruleset changes do not wait for it: they are notified (nft monitor). On a quiet host (no counter
 * moved, no ruleset change, no conntrack event) the interval doubles every QUIET_POLLS polls up to
 * QUIET_MAX_FACTOR times: each poll spawns tools in the namespace, the bulk of an idle collector's CPU.
 */
export class PollBudget {
  intervalMs: number;
  /** Average CPU ms of one poll, weighted to the recent ones. */
  avgCostMs = 0;
  private quiet = 0;

  constructor(private readonly configuredMs: number) {
    this.intervalMs = configuredMs;
  }

  /** A poll cost `costMs` of CPU; `changed`: a counter moved, the ruleset changed or conntrack reported something. */
  record(costMs: number, changed = true): void {
    this.avgCostMs += ALPHA * (Math.max(0, costMs) - this.avgCostMs);
    const needed = Math.min(MAX_INTERVAL_MS, Math.ceil(this.avgCostMs / BUDGET / 100) * 100);
    this.quiet = changed ? 0 : this.quiet + 1;
    const quiet = this.configuredMs * Math.min(QUIET_MAX_FACTOR, 2 ** Math.floor(this.quiet / QUIET_POLLS));
    this.intervalMs = Math.min(MAX_INTERVAL_MS, Math.max(this.configuredMs, needed, quiet));
  }
}
