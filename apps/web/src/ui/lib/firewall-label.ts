import type { FirewallInfo, FixPlan, FixStep } from '@ftpscope/shared';

/** How each manager is named in the UI. */
const NAMES: Record<FirewallInfo['manager'], string> = {
  firewalld: 'firewalld',
  ufw: 'ufw',
  'iptables-services': 'iptables-services',
  'netfilter-persistent': 'netfilter-persistent',
  'nftables-service': 'nftables.service',
  none: 'none (rules loaded by hand)',
};

/** "firewalld (nftables, zone public) + docker": the manager with what matters most for the fixes. */
export function firewallLabel(f: FirewallInfo | undefined | null): string {
  if (!f) return '–';
  const fd = f.firewalld;
  const detail = fd
    ? [fd.backend, fd.ftpZones.length ? `zone ${fd.ftpZones.map((z) => z.name).join(', ')}` : null]
    : [];
  const inner = detail.filter(Boolean).join(', ');
  const beside = f.neighbours.length ? ` + ${f.neighbours.join(', ')}` : '';
  return `${NAMES[f.manager]}${inner ? ` (${inner})` : ''}${beside}`;
}

/** One fix step as the operator reads it: a command, or the file, where, and the lines. */
export function stepText(s: FixStep): string {
  if (s.kind === 'run') return s.command;
  const where =
    s.placement === 'append'
      ? 'at the end'
      : s.placement === 'prepend'
        ? 'at the top'
        : s.placement === 'set'
          ? `replacing the ${s.key}= line`
          : `in the *${s.table} section, before its COMMIT`;
  return `# ${s.path} (${where}):\n${s.lines.join('\n')}`;
}

/** The manager's steps as one copyable text. */
export function planText(p: FixPlan): string {
  return p.steps.map(stepText).join('\n');
}
