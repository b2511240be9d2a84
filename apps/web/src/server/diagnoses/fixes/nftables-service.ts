import type { FixPlan, FixStep } from '@ftpscope/shared';
import { acceptRelatedFix, assignHelperFix, type NftPlace, nftChain, openRangeFix } from './runtime.ts';
import { type FixWriter, run } from './types.ts';

const CONF = '/etc/nftables.conf';
/** A table of its own for the helper: appending it needs no editing inside the operator's tables. */
const HELPER_TABLE = 'ftp_helper';

const PERSIST =
  'nftables.service loads /etc/nftables.conf at boot (`systemctl enable nftables`) and `nft -f /etc/nftables.conf` (or `systemctl reload nftables`) loads it now, so the change survives reloads and reboots.';

function plan(steps: FixStep[], runtime: string[]): FixPlan {
  return {
    manager: 'nftables-service',
    steps: [...steps, run(`nft -f ${CONF}`, true)],
    persistence: PERSIST,
    runtime,
  };
}

const where = (p: NftPlace) => `${p.family} ${p.table} ${p.chain}`;

/**
 * nftables.service: lines appended to /etc/nftables.conf, then `nft -f` of it. The helper goes in a table of
 * its own (a `ct helper` object and a prerouting rule; the first two lines make reloading it idempotent);
 * accepts go into the operator's own input chain with `insert rule` commands at the end of the file.
 */
export const nftablesServiceWriter: FixWriter = {
  assignHelper(w, families, ports) {
    const list = ports.length === 1 ? String(ports[0]) : `{ ${ports.join(', ')} }`;
    const lines = [
      `table inet ${HELPER_TABLE}`,
      `delete table inet ${HELPER_TABLE}`,
      `table inet ${HELPER_TABLE} {`,
      '  ct helper ftp-standard {',
      '    type "ftp" protocol tcp',
      '    l3proto inet',
      '  }',
      '  chain prerouting {',
      '    type filter hook prerouting priority filter; policy accept;',
      `    tcp dport ${list} ct helper set "ftp-standard"`,
      '  }',
      '}',
    ];
    return plan(
      [{ kind: 'edit', path: CONF, placement: 'append', lines }],
      assignHelperFix(w, families, ports),
    );
  },
  acceptRelated(w, families, dir) {
    const lines = [
      ...new Set(
        families.map(
          (f) =>
            `insert rule ${where(nftChain(w, f, dir === 'in' ? 'input' : 'output'))} ct state established,related accept`,
        ),
      ),
    ];
    return plan(
      [{ kind: 'edit', path: CONF, placement: 'append', lines }],
      acceptRelatedFix(w, families, dir),
    );
  },
  openRange(w, families, [lo, hi]) {
    const lines = [
      ...new Set(
        families.map(
          (f) => `insert rule ${where(nftChain(w, f, 'input'))} tcp dport ${lo}-${hi} ct state new accept`,
        ),
      ),
    ];
    return plan(
      [{ kind: 'edit', path: CONF, placement: 'append', lines }],
      openRangeFix(w, families, [lo, hi]),
    );
  },
};
