import { readFileSync } from 'node:fs';
import type { Backend } from '@ftpscope/shared';
import { describeFailure, isMissingBinary } from '../exec.ts';
import type { Exec } from '../host-monitor.types.ts';
import { childCpuMs, ownCpuMs } from '../model/poll-budget.ts';
import { parseIptablesSave, tablesIn } from './iptables-save-parse.ts';
import { parseNftJson } from './nft-json-parse.ts';
import type { RuleRecord } from './rule-record.ts';

interface SaveTool {
  file: string;
  backend: Backend;
  family: 'ipv4' | 'ipv6';
  /** For legacy tools: the /proc/net file that lists the namespace's tables of this family. */
  tablesFile?: string;
}

const SAVE_TOOLS: SaveTool[] = [
  { file: 'iptables-nft-save', backend: 'iptables-nft', family: 'ipv4' },
  { file: 'ip6tables-nft-save', backend: 'iptables-nft', family: 'ipv6' },
  { file: 'iptables-legacy-save', backend: 'iptables-legacy', family: 'ipv4', tablesFile: 'ip_tables_names' },
  {
    file: 'ip6tables-legacy-save',
    backend: 'iptables-legacy',
    family: 'ipv6',
    tablesFile: 'ip6_tables_names',
  },
];

/**
 * Tools that found no table (or failed), and nft while there is no native nftables table, are asked again
 * only this often, or at the next poll after a ruleset change: each run costs a process, and a steady poll
 * should cost little more than the one iptables-save that has the rules.
 */
const RECHECK_MS = 30_000;

/** The tools that read nf_tables: a change notification may concern any of them (never iptables-legacy). */
const NF_TABLES_TOOLS = ['iptables-nft-save', 'ip6tables-nft-save', 'nft'];

export interface RulesPoll {
  rules: RuleRecord[];
  /** Backends that have at least one table. */
  backends: Backend[];
  unknown: number;
  examples: string[];
  problems: string[];
  /** CPU ms this poll cost: the tools it ran plus our parsing (what the poll budget weighs). */
  costMs: number;
}

/**
 * Reads every firewall rule with its counters: iptables-save -c and ip6tables-save -c for both the nft and
 * the legacy backend, and `nft -j list ruleset` for native nftables tables (tables iptables-nft manages are
 * skipped there: they are read through iptables-nft-save).
 */
export class RulesSource {
  private lastRecheck = Number.NEGATIVE_INFINITY;
  private recheckNext = true;
  /** Tools to ask at the next poll even if idle (a change notification names nf_tables, not legacy). */
  private readonly recheckTools = new Set<string>();
  /** Tools (and 'nft') that had nothing to read or failed at the last check. */
  private readonly idle = new Set<string>();
  private readonly missing = new Set<string>();

  /**
   * `procNet` names a /proc/PID/net directory of the watched namespace, when one is known: legacy tables are
   * then looked up there at every poll (a file read, no process), since iptables-legacy announces no changes.
   */
  constructor(
    private readonly exec: Exec,
    private readonly netns: string | null,
    private readonly now: () => number = Date.now,
    private readonly procNet: () => string | null = () => null,
  ) {}

  /** Asks every tool (or the nf_tables ones) again at the next poll: after a change a new backend may have tables. */
  recheckSoon(scope: 'all' | 'nf_tables' = 'all'): void {
    if (scope === 'all') this.recheckNext = true;
    else for (const t of NF_TABLES_TOOLS) this.recheckTools.add(t);
  }

  async poll(): Promise<RulesPoll> {
    const now = this.now();
    const recheck = this.recheckNext || now - this.lastRecheck >= RECHECK_MS;
    if (recheck) {
      this.lastRecheck = now;
      this.recheckNext = false;
    }
    const asked = new Set(this.recheckTools);
    this.recheckTools.clear();
    const wanted = (tool: string) =>
      !this.missing.has(tool) && (recheck || asked.has(tool) || !this.idle.has(tool));
    const out: RulesPoll = { rules: [], backends: [], unknown: 0, examples: [], problems: [], costMs: 0 };
    const procNet = this.procNet();
    const tools = SAVE_TOOLS.filter((t) => {
      if (this.missing.has(t.file)) return false;
      const listed = t.tablesFile && procNet ? legacyTablesListed(`${procNet}/${t.tablesFile}`) : null;
      return listed ?? wanted(t.file);
    });
    // Our CPU is counted only while we spawn and parse (synchronous): the rest of the process (events,
    // logs) runs during the await and is not the poll's cost. The tools' CPU is counted when they are reaped.
    const children = childCpuMs();
    const spawnStart = ownCpuMs();
    const running = Promise.all([
      Promise.all(tools.map((t) => this.exec(t.file, ['-c'], { timeoutMs: 30_000 }))),
      wanted('nft') ? this.exec('nft', ['-j', 'list', 'ruleset'], { timeoutMs: 30_000 }) : null,
    ]);
    const spawnMs = ownCpuMs() - spawnStart;
    const [saves, nft] = await running;
    const parseStart = ownCpuMs();
    const nftManaged = new Set<string>();
    tools.forEach((t, i) => {
      const r = saves[i] as { code: number; stdout: string; stderr: string };
      if (r.code !== 0) {
        if (isMissingBinary(r)) this.missing.add(t.file);
        this.idle.add(t.file);
        out.problems.push(describeFailure(t.file, r, this.netns));
        return;
      }
      const tables = tablesIn(r.stdout);
      if (tables.length === 0) {
        this.idle.add(t.file);
        return;
      }
      this.idle.delete(t.file);
      if (t.backend === 'iptables-nft')
        for (const tb of tables) nftManaged.add(`${t.family === 'ipv4' ? 'ip' : 'ip6'}:${tb}`);
      if (!out.backends.includes(t.backend)) out.backends.push(t.backend);
      const parsed = parseIptablesSave(r.stdout, t.backend, t.family);
      out.rules.push(...parsed.records);
      out.unknown += parsed.unknown;
      out.examples.push(...parsed.examples);
    });
    if (nft) {
      if (nft.code !== 0) {
        if (isMissingBinary(nft)) this.missing.add('nft');
        this.idle.add('nft');
        out.problems.push(describeFailure('nft', nft, this.netns));
      } else {
        const parsed = parseNftJson(nft.stdout, nftManaged);
        // Only tables iptables-nft manages (read above) or none: nft is asked again at the next check.
        if (parsed.records.length > 0) this.idle.delete('nft');
        else this.idle.add('nft');
        if (parsed.records.length > 0) out.backends.push('nftables');
        out.rules.push(...parsed.records);
        out.unknown += parsed.unknown;
        out.examples.push(...parsed.examples);
      }
    }
    out.examples.splice(5);
    out.costMs = childCpuMs() - children + spawnMs + (ownCpuMs() - parseStart);
    return out;
  }
}

/**
 * Whether a /proc/net/ip*_tables_names file lists any table: true/false, or null when it cannot be read
 * (permission: then the tool's own recheck decides). A missing file means the module is not loaded: no tables.
 */
function legacyTablesListed(file: string): boolean | null {
  try {
    return readFileSync(file, 'utf8').trim() !== '';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? false : null;
  }
}
