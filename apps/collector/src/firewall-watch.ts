import type { CollectorEvent, FirewallInfo } from '@ftpscope/shared';
import type { SpawnLines } from './exec.ts';
import type { Exec } from './host-monitor.types.ts';
import type { IdentifiedRule } from './model/rule-ids.ts';
import { traceRuleResolver } from './model/trace-rules.ts';
import { detectFirewall } from './sources/firewall-manager.ts';
import { NftTraceSource } from './sources/nft-trace.ts';
import { createObserveTable, observeTableExists, removeObserveTable } from './sources/observe-table.ts';

/** How long start() waits for `nft monitor trace` to listen. */
const TRACE_LISTEN_MS = 5000;
/** The manager is asked again this long after a ruleset change (a reload rewrites many rules in bursts)… */
const SETTLE_MS = 1500;
/** …and at least this often (zones and files can change without a ruleset change). */
const REDETECT_MS = 5 * 60_000;

export interface FirewallWatchOptions {
  name: string;
  netns: string | null;
  managerPid: number | null;
  observe: boolean;
  ftpPorts: number[];
  /** The FTP server's passive range from its settings (null: not configured or not read yet). */
  passiveRange: () => [number, number] | null;
  /** Plain exec (not netns-wrapped): the watch wraps it for the namespace and the manager's mount namespace. */
  exec: Exec;
  /** netns-wrapped exec and spawn, as the monitor uses them. */
  netExec: Exec;
  spawn: SpawnLines;
  rules: () => IdentifiedRule[];
  emit: (e: CollectorEvent) => void;
  problem: (msg: string) => void;
  now: () => number;
}

/** Runs `file args` in the manager's mount namespace (and the watched network namespace). */
function managerExec(exec: Exec, netns: string | null, pid: number | null): Exec {
  if (pid === null && netns === null) return exec;
  const ns = [
    ...(pid === null ? [] : [`--mount=/proc/${pid}/ns/mnt`]),
    ...(netns === null ? [] : [`--net=/run/netns/${netns}`]),
  ];
  return (file, args, o) => exec('nsenter', [...ns, '--', file, ...args], o);
}

/**
 * The host's firewall manager and ftpscope's observation table: detects the manager at start, after
 * ruleset changes and every few minutes (a `firewall` event when it changed), keeps the observation table
 * in place (a manager's `flush ruleset` removes it) and turns its traces into `drop` events.
 */
export class FirewallWatch {
  private info: FirewallInfo | null = null;
  private sent = '';
  private observeState: FirewallInfo['observe'];
  private timer: NodeJS.Timeout | null = null;
  private detecting: Promise<void> | null = null;
  private stopped = false;
  private readonly trace: NftTraceSource | null;
  /** The passive range the loaded observation table traces. */
  private tracedRange = 'none';
  /** A load of the observation table under way (stop() waits for it, then removes the table). */
  private loading: Promise<string | null> | null = null;

  constructor(private readonly o: FirewallWatchOptions) {
    this.observeState = o.observe ? 'on' : 'off';
    this.trace = o.observe
      ? new NftTraceSource({
          spawn: o.spawn,
          ruleFor: traceRuleResolver(o.rules, o.netExec),
          onDrop: (drop) => o.emit({ kind: 'drop', drop }),
          onProblem: o.problem,
          now: o.now,
        })
      : null;
  }

  /**
   * Loads the observation table, starts following traces, and detects the manager once. A stop() meanwhile (a
   * signal while the collector starts) ends it: nothing is loaded after stop() removed the table.
   */
  async start(): Promise<void> {
    this.stopped = false;
    if (this.o.observe) {
      const problem = await this.loadTable();
      if (this.stopped) return;
      if (problem) {
        this.observeState = 'failed';
        this.o.problem(problem);
      } else if (this.trace) {
        // `nft monitor trace` prints nothing when it is ready, and a SYN traced before it listens is lost:
        // the collector reports itself started only once it listens.
        this.trace.start();
        const listening = await this.trace.listening(TRACE_LISTEN_MS);
        if (this.stopped) return;
        if (!listening)
          this.o.problem(
            `observation table: nft monitor trace did not start listening within ${TRACE_LISTEN_MS / 1000} s; drops it traces until then are missed`,
          );
      }
    }
    await this.detect();
  }

  /**
   * Loads (or replaces) the observation table for the passive range the server's settings give now; not once
   * stopped. stop() waits for a load under way before it removes the table.
   */
  private async loadTable(): Promise<string | null> {
    if (this.stopped) return null;
    const range = this.o.passiveRange();
    const load = createObserveTable(this.o.netExec, this.o.ftpPorts, range, this.o.netns);
    this.loading = load;
    const problem = await load.finally(() => {
      if (this.loading === load) this.loading = null;
    });
    if (!problem) this.tracedRange = String(range);
    return problem;
  }

  /** The server's settings were read again: a new passive range replaces the table (in one transaction). */
  async settingsChanged(): Promise<void> {
    const range = String(this.o.passiveRange());
    // Not loaded yet: start() loads it with the range read by then.
    if (
      this.stopped ||
      this.observeState !== 'on' ||
      this.tracedRange === 'none' ||
      range === this.tracedRange
    )
      return;
    const problem = await this.loadTable();
    if (problem) this.o.problem(problem);
  }

  /** The ruleset changed: put the observation table back if a flush removed it, and ask the manager again soon. */
  rulesChanged(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.detect(), SETTLE_MS);
  }

  private async detect(): Promise<void> {
    if (this.detecting) return this.detecting;
    this.detecting = (async () => {
      if (this.timer) clearTimeout(this.timer);
      if (this.observeState === 'on' && !this.stopped && !(await observeTableExists(this.o.netExec))) {
        const problem = await this.loadTable();
        if (problem) this.o.problem(problem);
      }
      const pid = this.o.managerPid;
      const found = await detectFirewall(
        {
          exec: this.o.netExec,
          managerExec: managerExec(this.o.exec, this.o.netns, pid),
          root: pid === null ? '' : `/proc/${pid}/root`,
          filesApply: this.o.netns === null || pid !== null,
          netns: this.o.netns,
        },
        this.o.rules().map((r) => r.def),
        this.o.now(),
      );
      for (const p of found.problems) this.o.problem(p);
      const info: FirewallInfo = { ...found, observe: this.observeState };
      const sig = JSON.stringify({ ...info, at: 0 });
      this.info = info;
      if (sig !== this.sent && !this.stopped) {
        this.sent = sig;
        this.o.emit({ kind: 'firewall', firewall: info });
      }
    })()
      .catch((e) => this.o.problem(`firewall manager detection failed: ${(e as Error).message}`))
      .finally(() => {
        this.detecting = null;
        if (!this.stopped) this.timer = setTimeout(() => void this.detect(), REDETECT_MS);
      });
    return this.detecting;
  }

  /** The last detection, for snapshots. */
  current(): FirewallInfo | null {
    return this.info;
  }

  /** Hands over the traced drops so far (called with each rule poll, so they share its batch). */
  flushDrops(): void {
    this.trace?.flush();
  }

  /** Lines the trace parser did not understand. */
  get stats() {
    return this.trace?.stats ?? { unknown: 0, examples: [] };
  }

  /** Stops following traces and removes the observation table (a clean stop leaves nothing behind). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.trace?.stop();
    await this.detecting;
    await this.loading?.catch(() => {});
    if (this.observeState !== 'off') await removeObserveTable(this.o.netExec);
  }
}
