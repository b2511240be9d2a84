import type { Family, FixPlan, FixStep } from '@ftpscope/shared';
import type { HostWindow } from '../types.ts';
import { acceptRelatedFix, assignHelperFix, openRangeFix } from './runtime.ts';
import { type FixWriter, run } from './types.ts';

const FILE: Record<Family, string> = { ipv4: '/etc/sysconfig/iptables', ipv6: '/etc/sysconfig/ip6tables' };
const SERVICE: Record<Family, string> = { ipv4: 'iptables', ipv6: 'ip6tables' };
const CONFIG = '/etc/sysconfig/iptables-config';

/** Lines for one table of a saved iptables file: into its section when it has one, else a new section. */
function tableEdit(w: HostWindow, family: Family, table: string, lines: string[], chains: string[]): FixStep {
  const file = w.firewall?.files.find((f) => f.path === FILE[family]);
  if (file?.tables.includes(table))
    return { kind: 'edit', path: FILE[family], placement: 'before-commit', table, lines };
  return {
    kind: 'edit',
    path: FILE[family],
    placement: 'append',
    lines: [`*${table}`, ...chains.map((c) => `:${c} ACCEPT [0:0]`), ...lines, 'COMMIT'],
  };
}

const restarts = (families: Family[]) => families.map((f) => run(`systemctl restart ${SERVICE[f]}`, true));

const PERSIST =
  'iptables.service (ip6tables.service) loads these files at boot and on restart, so the change survives both. Edit the files rather than the running rules: `service iptables save` would write the running rules over them.';

function plan(steps: FixStep[], runtime: string[], persistence = PERSIST): FixPlan {
  return { manager: 'iptables-services', steps, persistence, runtime };
}

/** iptables-services (RHEL family): lines for /etc/sysconfig/iptables (and ip6tables, iptables-config), then a restart. */
export const iptablesServicesWriter: FixWriter = {
  assignHelper(w, families, ports) {
    const ct = ports.flatMap((p) => [
      `-A PREROUTING -p tcp --dport ${p} -j CT --helper ftp`,
      `-A OUTPUT -p tcp --dport ${p} -j CT --helper ftp`,
    ]);
    const modules = w.firewall?.files.find((f) => f.path === CONFIG)?.vars.IPTABLES_MODULES ?? '';
    const wanted = [...new Set([...modules.split(/\s+/).filter(Boolean), 'nf_conntrack_ftp'])].join(' ');
    const steps: FixStep[] = [
      ...families.map((f) => tableEdit(w, f, 'raw', ct, ['PREROUTING', 'OUTPUT'])),
      {
        kind: 'edit',
        path: CONFIG,
        placement: 'set',
        key: 'IPTABLES_MODULES',
        lines: [`IPTABLES_MODULES="${wanted}"`],
      },
      ...restarts(families),
    ];
    return plan(
      steps,
      assignHelperFix(w, families, ports),
      `${PERSIST} IPTABLES_MODULES makes the service load the helper module first (where it is a module); on kernels ≥ 4.7 the CT rule is what assigns the helper.`,
    );
  },
  acceptRelated(w, families, dir) {
    const chain = dir === 'in' ? 'INPUT' : 'OUTPUT';
    const line = `-I ${chain} 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`;
    const steps = families.map((f) => tableEdit(w, f, 'filter', [line], ['INPUT', 'FORWARD', 'OUTPUT']));
    return plan([...steps, ...restarts(families)], acceptRelatedFix(w, families, dir));
  },
  openRange(w, families, [lo, hi]) {
    const line = `-I INPUT 1 -p tcp --dport ${lo}:${hi} -m conntrack --ctstate NEW -j ACCEPT`;
    const steps = families.map((f) => tableEdit(w, f, 'filter', [line], ['INPUT', 'FORWARD', 'OUTPUT']));
    return plan([...steps, ...restarts(families)], openRangeFix(w, families, [lo, hi]));
  },
};
