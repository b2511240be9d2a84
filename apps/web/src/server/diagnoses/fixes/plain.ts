import type { FixPlan } from '@ftpscope/shared';
import type { HostWindow } from '../types.ts';
import { acceptRelatedFix, assignHelperFix, fixTool, openRangeFix } from './runtime.ts';
import { type FixWriter, run } from './types.ts';

/** How runtime rules are kept across reboots on a host no manager owns, by the tool its rules are written with. */
function persistence(w: HostWindow): string {
  if (fixTool(w) === 'nftables')
    return 'These commands change the running ruleset only and are lost at reboot. Add the same rules to /etc/nftables.conf (the file nftables.service loads: `systemctl enable nftables`), or, when the running ruleset is the whole truth, `nft list ruleset > /etc/nftables.conf`.';
  return "These commands change the running rules only and are lost at reboot. Save them with your distribution's tool: Debian/Ubuntu `apt-get install iptables-persistent` then `netfilter-persistent save` (writes /etc/iptables/rules.v4 and rules.v6); RHEL/Fedora `dnf install iptables-services`, `service iptables save` (writes /etc/sysconfig/iptables) and `systemctl enable iptables`.";
}

function plan(w: HostWindow, commands: string[]): FixPlan {
  return { manager: 'none', steps: commands.map((c) => run(c)), persistence: persistence(w), runtime: [] };
}

/** A host whose rules no known manager owns: the runtime commands, and how to make them persistent. */
export const plainWriter: FixWriter = {
  assignHelper: (w, families, ports) => plan(w, assignHelperFix(w, families, ports)),
  acceptRelated: (w, families, dir) => plan(w, acceptRelatedFix(w, families, dir)),
  openRange: (w, families, range) => plan(w, openRangeFix(w, families, range)),
};
