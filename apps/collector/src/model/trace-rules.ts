import type { Exec } from '../host-monitor.types.ts';
import { familyName } from '../sources/nft-json-parse.ts';
import type { TraceVerdictAt } from '../sources/nft-trace.ts';
import type { IdentifiedRule } from './rule-ids.ts';

/**
 * Maps the chain and rule handle a trace names to the rule id the collector already reports. Native
 * nftables rules carry their handle; iptables-nft rules are read through iptables-save, which has no
 * handles, so their chain is listed once with `nft -j` and the handle's place in it gives the position.
 */
export function traceRuleResolver(
  rules: () => IdentifiedRule[],
  exec: Exec,
): (at: TraceVerdictAt) => Promise<string | null> {
  let cachedFor: IdentifiedRule[] | null = null;
  const positions = new Map<string, Promise<number[]>>();
  const handlesOf = (at: TraceVerdictAt): Promise<number[]> => {
    const key = `${at.family} ${at.table} ${at.chain}`;
    let p = positions.get(key);
    if (!p) {
      p = exec('nft', ['-j', 'list', 'chain', at.family, at.table, at.chain], { timeoutMs: 10_000 }).then(
        (r) => {
          if (r.code !== 0) return [];
          try {
            const doc = JSON.parse(r.stdout) as { nftables?: Array<{ rule?: { handle?: number } }> };
            return (doc.nftables ?? []).flatMap((o) =>
              typeof o.rule?.handle === 'number' ? [o.rule.handle] : [],
            );
          } catch {
            return [];
          }
        },
      );
      positions.set(key, p);
    }
    return p;
  };
  return async (at) => {
    const all = rules();
    if (all !== cachedFor) {
      cachedFor = all;
      positions.clear();
    }
    const family = familyName(at.family);
    const inChain = all.filter(
      (r) => r.def.family === family && r.def.table === at.table && r.def.chain === at.chain,
    );
    if (at.handle === null) return inChain.find((r) => r.def.isPolicy)?.def.id ?? null;
    const native = inChain.find((r) => r.record.handle === at.handle);
    if (native) return native.def.id;
    const xt = inChain.filter((r) => r.def.backend !== 'nftables' && !r.def.isPolicy);
    if (xt.length === 0) return null;
    const position = (await handlesOf(at)).indexOf(at.handle) + 1;
    return xt.find((r) => r.def.position === position)?.def.id ?? null;
  };
}
