import type { FirewalldState, FirewalldZone, FirewallInfo, RuleDef } from '@ftpscope/shared';
import { describeFailure } from '../exec.ts';
import type { Exec } from '../host-monitor.types.ts';
import { detectManager, signatures } from './firewall-detect.ts';
import { parseFirewalldZones } from './firewalld-zones-parse.ts';
import { MANAGER_PATHS, readManagerFiles, unreadableProblem } from './manager-files.ts';

function ownedBy(path: string, manager: string): boolean {
  if (manager === 'none') return false;
  const own = (MANAGER_PATHS as Record<string, readonly string[]>)[manager] ?? [];
  return (
    own.includes(path) || (manager === 'nftables-service' && !path.startsWith('/etc/'.concat('firewalld')))
  );
}

export interface FirewallManagerOptions {
  /** Runs tools in the watched network namespace (ip). */
  exec: Exec;
  /** Runs the manager's own commands (firewall-cmd) where the manager lives: its mount namespace too. */
  managerExec: Exec;
  /** Prefix of the manager's files: '' for this machine, /proc/PID/root for another mount namespace. */
  root: string;
  /** See DetectInput.filesApply. */
  filesApply: boolean;
  netns: string | null;
}

/** Detects the host's firewall manager (see firewall-detect.ts) and asks firewalld about its zones. */
export async function detectFirewall(
  opts: FirewallManagerOptions,
  rules: RuleDef[],
  at: number,
): Promise<Omit<FirewallInfo, 'observe'>> {
  const problems: string[] = [];
  const { files, unreadable } = opts.filesApply
    ? await readManagerFiles(opts.root)
    : { files: [], unreadable: [] };
  const sig = signatures(rules);
  const conf = files.find((f) => f.path === '/etc/firewalld/firewalld.conf' && f.exists);
  let firewalld: FirewalldState | null = null;
  // Asked only when its rules are loaded: an installed but stopped firewalld is not this host's manager.
  if (sig.firewalldNft || sig.firewalldXt) {
    const asked = await askFirewalld(opts, rules);
    if (asked.problem) problems.push(asked.problem);
    firewalld = asked.state ?? fromRuleset(rules, conf?.vars.DefaultZone ?? null);
  }
  const d = detectManager({ rules, files, filesApply: opts.filesApply, firewalld });
  if (firewalld && d.manager === 'firewalld') {
    firewalld.backend ??=
      d.firewalldBackend ??
      (conf?.vars.FirewallBackend === 'iptables' ? 'iptables' : conf ? 'nftables' : null);
  }
  // Only the detected manager's unreadable files matter (its fix needs them); others' are not this host's.
  for (const u of unreadable)
    if (ownedBy(u.path, d.manager)) problems.push(unreadableProblem(u.path, u.reason, opts.root));
  return {
    at,
    manager: d.manager,
    evidence: d.evidence,
    neighbours: d.neighbours,
    firewalld: d.manager === 'firewalld' ? firewalld : null,
    // Only the detected manager's own files (and nftables includes): the others are noise in the UI.
    files: files.filter((f) => ownedBy(f.path, d.manager)),
    problems,
  };
}

/** firewall-cmd --state, --get-default-zone and --list-all-zones (about 0.15 s of CPU each). */
async function askFirewalld(
  opts: FirewallManagerOptions,
  rules: RuleDef[],
): Promise<{ state: FirewalldState | null; problem: string | null }> {
  const run = (args: string[]) => opts.managerExec('firewall-cmd', args, { timeoutMs: 15_000 });
  const state = await run(['--state']);
  const hint =
    'the fix names the zone the ruleset shows; check `firewall-cmd --state` on the host and that the collector runs as root (firewalld answers its D-Bus API to root)';
  if (state.code !== 0 || !/running/.test(state.stdout)) {
    const why =
      state.stdout.trim() === 'not running'
        ? 'firewalld is not running'
        : describeFailure('firewall-cmd', state, opts.netns);
    return { state: null, problem: `firewall-cmd did not answer (${why}): ${hint}` };
  }
  const [def, all, links] = await Promise.all([
    run(['--get-default-zone']),
    run(['--list-all-zones']),
    opts.exec('ip', ['-o', 'link', 'show'], { timeoutMs: 10_000 }),
  ]);
  if (def.code !== 0 || all.code !== 0) {
    const bad = def.code !== 0 ? def : all;
    return {
      state: null,
      problem: `firewall-cmd failed (${describeFailure('firewall-cmd', bad, opts.netns)}): ${hint}`,
    };
  }
  const defaultZone = def.stdout.trim() || null;
  const zones = parseFirewalldZones(all.stdout).records;
  const ifaces = links.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined && n !== 'lo');
  const bound = new Set(zones.flatMap((z) => z.interfaces));
  const unbound = ifaces.some((i) => !bound.has(i));
  const ftpZones: FirewalldZone[] = zones
    .filter(
      (z) =>
        z.interfaces.some((i) => ifaces.includes(i)) ||
        z.sources.length > 0 ||
        (unbound && z.name === defaultZone),
    )
    .map(({ name, interfaces, services, ports }) => ({ name, interfaces, services, ports }));
  void rules;
  return { state: { running: true, backend: null, defaultZone, ftpZones }, problem: null };
}

/** What the ruleset alone says when firewall-cmd cannot be asked: the catch-all zone and the ports it opens. */
function fromRuleset(rules: RuleDef[], confDefault: string | null): FirewalldState {
  const catchAll = rules.find((r) => /INPUT_ZONES$/.test(r.chain) && /^goto \S+$/.test(r.text));
  const zone = /goto (?:filter_)?IN_(\S+)$/.exec(catchAll?.text ?? '')?.[1] ?? confDefault;
  const ports = rules
    .filter((r) => zone !== null && r.chain.endsWith(`IN_${zone}_allow`))
    .map((r) => /tcp dport (\d+(?:-\d+)?) /.exec(`${r.text} `)?.[1])
    .filter((p): p is string => p !== undefined)
    .map((p) => `${p}/tcp`);
  return {
    running: null,
    backend: null,
    defaultZone: zone,
    ftpZones: zone === null ? [] : [{ name: zone, interfaces: [], services: [], ports }],
  };
}
