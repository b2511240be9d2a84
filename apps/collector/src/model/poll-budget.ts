import { readFileSync } from 'node:fs';

/** Share of one core the pollers may use before the interval backs off. */
const BUDGET = 0.02;
const MAX_INTERVAL_MS = 60_000;

/** CPU seconds of this process plus its reaped children (the tools we ran), from /proc/self/stat. */
function cpuMs(): number {
  const own = process.cpuUsage();
  let children = 0;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state(3)...; cutime and cstime are fields 16 and 17 (1-based, whole line).
    children = ((Number(f[13]) || 0) + (Number(f[14]) || 0)) * 10; // clock ticks of 10 ms (USER_HZ=100)
  } catch {
    // Not Linux: only our own CPU is counted.
  }
  return (own.user + own.system) / 1000 + children;
}

/**
 * Keeps polling under ~2% of a core: measures the CPU a poll cost (ours and the tools') and stretches the
 * interval when poll cost / interval exceeds the budget; shrinks back towards the configured interval.
 */
export class PollBudget {
  intervalMs: number;

  constructor(private readonly configuredMs: number) {
    this.intervalMs = configuredMs;
  }

  begin(): number {
    return cpuMs();
  }

  end(startCpuMs: number): void {
    const cost = Math.max(0, cpuMs() - startCpuMs);
    const needed = Math.min(MAX_INTERVAL_MS, Math.ceil(cost / BUDGET / 100) * 100);
    // Grow at once, shrink slowly, so one cheap poll does not undo the back-off.
    this.intervalMs = Math.max(
      this.configuredMs,
      needed > this.intervalMs ? needed : Math.round((this.intervalMs * 3 + needed) / 4),
    );
  }
}
