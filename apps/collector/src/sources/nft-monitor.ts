import type { LineStream, SpawnLines } from '../exec.ts';
import { OBSERVE_FAMILY, OBSERVE_TABLE } from './observe-table.ts';

/** A burst of notifications (a firewalld or ufw reload is many generations) is read once it is this quiet... */
const QUIET_MS = 100;
/** ...or this long after it began, whichever comes first. */
const MAX_WAIT_MS = 400;

export interface NftMonitorOptions {
  spawn: SpawnLines;
  /** The ruleset changed: `at` is when the first notification of the burst arrived. */
  onChange(at: number): void;
  /** Notifications cannot be had (nft missing, no privilege): changes are then found by the poll only. */
  onProblem(message: string): void;
  now(): number;
}

/** Lines about ftpscope's own observation table (and not a table whose name merely starts the same). */
const OWN_TABLE = new RegExp(` ${OBSERVE_FAMILY} ${OBSERVE_TABLE}(?![\\w.-])`);

/**
 * Whether an `nft monitor ruleset` line announces a change of tables, chains, rules, sets or objects. Set
 * elements alone (a fail2ban-style list growing) and the `# new generation` trailers do not count.
 */
export function isRulesetChangeLine(line: string): boolean {
  return (
    /^(add|insert|delete|destroy|replace|flush|rename) (table|chain|rule|set|map|flowtable|ct|counter|quota|limit|secmark|synproxy)\b/.test(
      line,
    ) &&
    // ftpscope's own observation table is not the host's firewall: loading it is no change of the ruleset.
    !OWN_TABLE.test(line)
  );
}

/**
 * Ruleset change notifications from nf_tables (`nft monitor ruleset`): both native nftables and iptables-nft
 * (which writes nf_tables too) announce every committed change, so a change is seen when it happens instead of
 * at the next counter poll. Set element updates alone (fail2ban-style lists) do not count as a change; each
 * burst of notifications is reported once, debounced. iptables-legacy has no notifications: the poll finds those.
 */
export class NftMonitor {
  private stream: LineStream | null = null;
  private stopped = true;
  private failures = 0;
  private burstAt: number | null = null;
  private quietTimer: NodeJS.Timeout | null = null;
  private maxTimer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  /** Whether the stream is up (the host's capabilities say so). */
  running = false;

  constructor(private readonly opts: NftMonitorOptions) {}

  start(): void {
    this.stopped = false;
    const s: LineStream = this.opts.spawn('nft', ['monitor', 'ruleset'], {
      onStdout: (line) => {
        if (this.stream !== s) return;
        this.failures = 0;
        if (isRulesetChangeLine(line)) this.note();
      },
      onStderr: (line) => {
        if (this.stream === s && /Operation not permitted|Permission denied/.test(line)) {
          this.opts.onProblem(
            'nft monitor: permission denied; ruleset changes are found by the poll only (needs CAP_NET_ADMIN)',
          );
          this.halt();
        }
      },
      onExit: (code, error) => {
        if (this.stopped || this.stream !== s) return;
        this.stream = null;
        this.running = false;
        if (code === 127 || (error !== null && /ENOENT/.test(error))) {
          this.opts.onProblem(
            'nft is not installed: apt-get install nftables (ruleset changes are found by the poll only)',
          );
          return;
        }
        // Whatever changed while it was down is found by the next poll; retry slowly if it keeps dying.
        const delay = Math.min(30_000, 500 * 2 ** Math.min(this.failures++, 6));
        this.restartTimer = setTimeout(() => !this.stopped && this.start(), delay);
        this.restartTimer.unref?.();
      },
    });
    this.stream = s;
    // nft prints nothing until something changes: count it as running once started.
    this.running = true;
  }

  stop(): void {
    this.stopped = true;
    this.halt();
  }

  /** The pid of the running `nft monitor` (it runs inside the watched namespace), or null. */
  pid(): number | null {
    return this.stream?.pid ?? null;
  }

  /** When the burst being debounced began (null: none): a read meanwhile may already see its change. */
  pendingSince(): number | null {
    return this.burstAt;
  }

  private halt(): void {
    for (const t of [this.quietTimer, this.maxTimer, this.restartTimer]) if (t) clearTimeout(t);
    this.quietTimer = this.maxTimer = this.restartTimer = null;
    this.burstAt = null;
    const s = this.stream;
    this.stream = null;
    this.running = false;
    s?.stop();
  }

  private note(): void {
    this.burstAt ??= this.opts.now();
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.flush(), QUIET_MS);
    this.maxTimer ??= setTimeout(() => this.flush(), MAX_WAIT_MS);
  }

  private flush(): void {
    for (const t of [this.quietTimer, this.maxTimer]) if (t) clearTimeout(t);
    this.quietTimer = this.maxTimer = null;
    const at = this.burstAt;
    this.burstAt = null;
    if (at !== null && !this.stopped) this.opts.onChange(at);
  }
}
