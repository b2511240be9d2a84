import type { FirewallManagerKind, FixPlan } from '@ftpscope/shared';
import type { HostWindow } from '../types.ts';
import { firewalldWriter } from './firewalld.ts';
import { iptablesServicesWriter } from './iptables-services.ts';
import { netfilterPersistentWriter } from './netfilter-persistent.ts';
import { nftablesServiceWriter } from './nftables-service.ts';
import { plainWriter } from './plain.ts';
import type { FixWriter } from './types.ts';
import { ufwWriter } from './ufw.ts';

/** Every fix writer, by the manager it writes for. Add a manager: write fixes/<manager>.ts and list it here. */
export const FIX_WRITERS: Record<FirewallManagerKind, FixWriter> = {
  firewalld: firewalldWriter,
  ufw: ufwWriter,
  'iptables-services': iptablesServicesWriter,
  'netfilter-persistent': netfilterPersistentWriter,
  'nftables-service': nftablesServiceWriter,
  none: plainWriter,
};

/** The writer for the host's manager (a plain host until the collector reported one). */
export function fixWriter(w: HostWindow): FixWriter {
  return FIX_WRITERS[w.firewall?.manager ?? 'none'];
}

/**
 * The classic firewalld mistake in words, when it is what the host does: the control port opened as a bare
 * port in the FTP interface's zone, not as the `ftp` service (which is what carries the helper).
 */
export function managerOpensBarePort(w: HostWindow, ports: number[]): string | null {
  const fd = w.firewall?.manager === 'firewalld' ? w.firewall.firewalld : null;
  for (const z of fd?.ftpZones ?? []) {
    const bare = ports.filter((p) => z.ports.includes(`${p}/tcp`));
    if (bare.length > 0 && !z.services.includes('ftp'))
      return `firewalld opens ${bare.map((p) => `${p}/tcp`).join(', ')} in zone ${z.name} as a plain port, not as the ftp service: only the service carries the FTP helper.`;
  }
  return null;
}

/** A finding's fix: the plan, and its lines with optional prose before and after. */
export function fixed(
  plan: FixPlan,
  before: string[] = [],
  after: string[] = [],
): { fix: string[]; fixPlan: FixPlan } {
  return { fix: [...before, ...fixLines(plan), ...after], fixPlan: plan };
}

/**
 * The fix as the lines of Diagnosis.fix: the manager's steps (an edit as a `# add to FILE …` line followed by
 * its lines), then how it persists, then the runtime equivalent, each as `# …` comments where they are prose.
 */
export function fixLines(plan: FixPlan): string[] {
  const out: string[] = [];
  for (const s of plan.steps) {
    if (s.kind === 'run') {
      out.push(s.command);
      continue;
    }
    const where =
      s.placement === 'append'
        ? 'at the end'
        : s.placement === 'prepend'
          ? 'at the top'
          : s.placement === 'set'
            ? `replacing the ${s.key}= line`
            : `in the *${s.table} section, before its COMMIT`;
    out.push(`# ${s.path} (${where}):\n${s.lines.join('\n')}`);
  }
  out.push(`# ${plan.persistence}`);
  if (plan.runtime.length > 0)
    out.push(`# runtime equivalent (lost at the next reload or reboot):\n${plan.runtime.join('\n')}`);
  return out;
}
