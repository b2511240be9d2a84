/**
 * Worker of bench 3, in its own process so children's CPU is this measurement's alone.
 * argv: NETNS BACKEND(nft|legacy) REPS RUNS. Prints { baselineMs[], pollMs[], rules }.
 */
import type { RuleCounter } from '@ftpscope/shared';
import { realExec, withNetns } from '../../apps/collector/src/exec.ts';
import { DeltaTracker } from '../../apps/collector/src/model/deltas.ts';
import { identifyRules } from '../../apps/collector/src/model/rule-ids.ts';
import { rulesetChanged } from '../../apps/collector/src/model/ruleset-diff.ts';
import { RulesSource } from '../../apps/collector/src/sources/rules.ts';
import { childrenCpuMs, selfCpuMs } from '../lib/cpu.ts';
import { reply } from '../lib/worker.ts';

const [netns = '', backend = 'nft', repsArg = '1', runsArg = '3'] = process.argv.slice(2);
const reps = Number(repsArg);
const exec = withNetns(realExec, netns);
const source = new RulesSource(exec, netns);
const deltas = new DeltaTracker();
let defs: ReturnType<typeof identifyRules>[number]['def'][] = [];
let rules = 0;

/** One collector poll as host-monitor does it: run the tools, parse, identify, detect changes, deltas. */
async function poll(): Promise<void> {
  const res = await source.poll();
  if (res.problems.length) throw new Error(res.problems.join('; '));
  const next = identifyRules(res.rules);
  const nextDefs = next.map((r) => r.def);
  if (rulesetChanged(defs, nextDefs)) defs = nextDefs;
  deltas.retain(new Set(nextDefs.map((d) => d.id)));
  const moved: RuleCounter[] = [];
  for (const r of next) {
    if (r.record.packets === null || r.record.bytes === null) continue;
    const d = deltas.update(r.def.id, r.record.packets, r.record.bytes);
    if (d.dPackets > 0 || d.dBytes > 0 || r.def.isPolicy)
      moved.push({ ruleId: r.def.id, packets: r.record.packets, bytes: r.record.bytes, ...d });
  }
  rules = next.length;
}

async function cpuPerRep(fn: () => Promise<unknown>, countSelf: boolean): Promise<number> {
  const c0 = childrenCpuMs();
  const s0 = selfCpuMs();
  for (let i = 0; i < reps; i++) await fn();
  return (childrenCpuMs() - c0 + (countSelf ? selfCpuMs() - s0 : 0)) / reps;
}

const save = backend === 'legacy' ? 'iptables-legacy-save' : 'iptables-nft-save';
await poll(); // the first poll finds which tools have tables; steady polls skip the empty ones
const baselineMs: number[] = [];
const pollMs: number[] = [];
for (let r = 0; r < Number(runsArg); r++) {
  baselineMs.push(await cpuPerRep(() => exec(save, ['-c'], { timeoutMs: 60_000 }), false));
  pollMs.push(await cpuPerRep(poll, true));
}
reply({ baselineMs, pollMs, rules });
