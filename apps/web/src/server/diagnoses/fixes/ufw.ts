import type { Family, FixPlan, FixStep } from '@ftpscope/shared';
import { acceptRelatedFix, assignHelperFix, openRangeFix } from './runtime.ts';
import { type FixWriter, run } from './types.ts';

const RULES: Record<Family, string> = { ipv4: '/etc/ufw/before.rules', ipv6: '/etc/ufw/before6.rules' };

function plan(steps: FixStep[], persistence: string, runtime: string[]): FixPlan {
  return { manager: 'ufw', steps, persistence, runtime };
}

/**
 * ufw: the helper is assigned by `*raw` lines at the top of before.rules / before6.rules (ufw loads them
 * with iptables-restore at every start and reload); a fixed passive range is opened with `ufw allow`.
 */
export const ufwWriter: FixWriter = {
  assignHelper(w, families, ports) {
    const edits: FixStep[] = families
      .filter((f) => !w.firewall?.files.some((x) => x.path === RULES[f] && x.assignsHelper))
      .map((f) => ({
        kind: 'edit',
        path: RULES[f],
        placement: 'prepend',
        lines: [
          '*raw',
          ':PREROUTING ACCEPT [0:0]',
          ':OUTPUT ACCEPT [0:0]',
          ...ports.flatMap((p) => [
            `-A PREROUTING -p tcp --dport ${p} -j CT --helper ftp`,
            `-A OUTPUT -p tcp --dport ${p} -j CT --helper ftp`,
          ]),
          'COMMIT',
        ],
      }));
    return plan(
      [...edits, run('ufw reload', true)],
      'ufw loads before.rules and before6.rules at every start and `ufw reload`, so the helper rules survive reboots. ufw flushes only its own filter chains on reload, so each `ufw reload` adds one more identical copy of these raw rules until the next boot (harmless). before.rules already accepts RELATED in ufw-before-input.',
      assignHelperFix(w, families, ports),
    );
  },
  acceptRelated(w, families, dir) {
    const chain = dir === 'in' ? 'ufw-before-input' : 'ufw-before-output';
    const edits: FixStep[] = families.map((f) => ({
      kind: 'edit',
      path: RULES[f],
      placement: 'before-commit',
      table: 'filter',
      lines: [`-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`],
    }));
    return plan(
      [...edits, run('ufw reload', true)],
      `ufw loads before.rules and before6.rules at every start and \`ufw reload\`, so the rule survives reboots.`,
      acceptRelatedFix(w, families, dir),
    );
  },
  openRange(w, families, [lo, hi]) {
    return plan(
      [run(`ufw allow ${lo}:${hi}/tcp`)],
      '`ufw allow` applies at once and is saved in /etc/ufw/user.rules and user6.rules, which ufw loads at every start.',
      openRangeFix(w, families, [lo, hi]),
    );
  },
};
