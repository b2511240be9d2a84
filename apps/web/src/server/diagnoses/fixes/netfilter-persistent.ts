import type { FixPlan } from '@ftpscope/shared';
import { acceptRelatedFix, assignHelperFix, openRangeFix } from './runtime.ts';
import { type FixWriter, run } from './types.ts';

const PERSIST =
  '`netfilter-persistent save` writes the running rules to /etc/iptables/rules.v4 and rules.v6, which netfilter-persistent loads at boot, so the change survives reboots. Save after every change: rules added without saving are lost at the next boot.';

function plan(runtime: string[]): FixPlan {
  const commands = runtime.filter((c) => !c.startsWith('modprobe'));
  return {
    manager: 'netfilter-persistent',
    steps: [...commands.map((c) => run(c)), run('netfilter-persistent save')],
    persistence: PERSIST,
    runtime,
  };
}

/** netfilter-persistent (Debian/Ubuntu iptables-persistent): the runtime rule, then `netfilter-persistent save`. */
export const netfilterPersistentWriter: FixWriter = {
  assignHelper: (w, families, ports) => plan(assignHelperFix(w, families, ports)),
  acceptRelated: (w, families, dir) => plan(acceptRelatedFix(w, families, dir)),
  openRange: (w, families, range) => plan(openRangeFix(w, families, range)),
};
