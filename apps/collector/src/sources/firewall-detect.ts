import type {
  FirewalldState,
  FirewallManagerKind,
  FirewallNeighbour,
  ManagerFile,
  RuleDef,
} from '@ftpscope/shared';

/** What the detection looks at. */
export interface DetectInput {
  rules: RuleDef[];
  files: ManagerFile[];
  /**
   * Whether the files describe this ruleset's host: true for the collector's own namespace or with
   * --manager-pid; false for a namespace watched alone (the machine's boot services load the machine's own
   * namespace, not that one), where only ruleset signatures count.
   */
  filesApply: boolean;
  /** firewall-cmd's answer (null when not asked or it did not answer). */
  firewalld: FirewalldState | null;
}

/** The manager, what the decision rests on, and the neighbours' chains found. */
export interface Detected {
  manager: FirewallManagerKind;
  evidence: string[];
  neighbours: FirewallNeighbour[];
  /** firewalld's backend as the ruleset shows it (null: not firewalld, or no rules of it loaded). */
  firewalldBackend: 'nftables' | 'iptables' | null;
}

const existing = (files: ManagerFile[], path: string) => files.find((f) => f.path === path && f.exists);

/** Ruleset signatures: firewalld's table or zone chains, ufw's chains, Docker's and kube-proxy's chains. */
export function signatures(rules: RuleDef[]) {
  const chains = new Set(
    rules.map((r) => `${r.backend === 'nftables' ? 'nft' : 'xt'}:${r.table}:${r.chain}`),
  );
  const has = (pred: (c: string) => boolean) => [...chains].some(pred);
  return {
    firewalldNft: rules.some(
      (r) => r.backend === 'nftables' && r.family === 'inet' && r.table === 'firewalld',
    ),
    firewalldXt: has((c) => /^xt:filter:(INPUT_ZONES|IN_[\w-]+)$/.test(c)),
    ufw: has((c) => /^xt:filter:ufw6?-before-input$/.test(c)),
    docker: has((c) => /:(DOCKER|DOCKER-USER|DOCKER-ISOLATION-STAGE-1)$/.test(c)),
    kubeProxy: has((c) => /:KUBE-[\w-]+$/.test(c)),
  };
}

/** Native nftables tables of the ruleset ("inet filter"), to match against /etc/nftables.conf. */
function nativeTables(rules: RuleDef[]): Set<string> {
  const out = new Set<string>();
  for (const r of rules) {
    if (r.backend !== 'nftables') continue;
    const fam = r.family === 'ipv4' ? 'ip' : r.family === 'ipv6' ? 'ip6' : r.family;
    out.add(`${fam} ${r.table}`);
  }
  return out;
}

/**
 * Decides which manager owns the firewall: a running manager's ruleset signature first (firewalld, ufw),
 * then the boot-time services by their files (iptables-services, netfilter-persistent, nftables.service
 * whose /etc/nftables.conf declares a table that is loaded), else none.
 */
export function detectManager(input: DetectInput): Detected {
  const sig = signatures(input.rules);
  const neighbours: FirewallNeighbour[] = [];
  if (sig.docker) neighbours.push('docker');
  if (sig.kubeProxy) neighbours.push('kube-proxy');
  const out = (
    manager: FirewallManagerKind,
    evidence: string[],
    backend: Detected['firewalldBackend'] = null,
  ) => ({
    manager,
    evidence,
    neighbours,
    firewalldBackend: backend,
  });
  if (sig.firewalldNft) return out('firewalld', ['table inet firewalld in the ruleset'], 'nftables');
  if (sig.firewalldXt)
    return out('firewalld', ['firewalld zone chains (INPUT_ZONES, IN_<zone>) in iptables'], 'iptables');
  if (input.firewalld?.running)
    return out('firewalld', ['firewall-cmd --state: running'], input.firewalld.backend);
  if (sig.ufw) return out('ufw', ['ufw chains (ufw-before-input) in iptables']);
  if (!input.filesApply) return out('none', []);
  const f = input.files;
  const sysconfig = existing(f, '/etc/sysconfig/iptables') ?? existing(f, '/etc/sysconfig/ip6tables');
  if (sysconfig) return out('iptables-services', [`${sysconfig.path} exists`]);
  const persistent = existing(f, '/etc/iptables/rules.v4') ?? existing(f, '/etc/iptables/rules.v6');
  if (persistent) return out('netfilter-persistent', [`${persistent.path} exists`]);
  const loaded = nativeTables(input.rules);
  const nftFiles = f.filter(
    (x) =>
      x.exists && (x.path === '/etc/nftables.conf' || x.path.endsWith('.nft') || x.path.includes('nftables')),
  );
  const declared = nftFiles.flatMap((x) =>
    x.tables.filter((t) => loaded.has(t)).map((t) => `table ${t} of ${x.path} is loaded`),
  );
  if (declared.length > 0) return out('nftables-service', declared.slice(0, 4));
  return out('none', []);
}
