import { RulesetEvent } from '@ftpscope/shared';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import { parseIptablesSave } from '../sources/iptables-save-parse.ts';
import type { RuleRecord } from '../sources/rule-record.ts';
import { identifyRules } from './rule-ids.ts';
import { changeStamp, diffRulesets, rulesetChanged, rulesetChangeIdFor } from './ruleset-diff.ts';

const healthy = parseIptablesSave(
  fixture('iptables/1.8.9/nft-healthy-save.txt'),
  'iptables-nft',
  'ipv4',
).records;
const defs = (rs: RuleRecord[]) => identifyRules(rs).map((r) => r.def);
const renumber = (rs: RuleRecord[]) => {
  const pos = new Map<string, number>();
  return rs.map((r) => {
    if (r.isPolicy) return r;
    const k = `${r.table} ${r.chain}`;
    const p = (pos.get(k) ?? 0) + 1;
    pos.set(k, p);
    return { ...r, position: p };
  });
};

describe('rule ids and ruleset diffs', () => {
  it('keeps ids across an unrelated insert, and gives duplicates distinct ids', () => {
    const before = defs(healthy);
    const extra: RuleRecord = {
      ...(healthy.find((r) => r.text.includes('--dport 22')) as RuleRecord),
      text: '-A INPUT -p udp -j DROP',
      verdict: 'drop',
    };
    const inserted = renumber([...healthy.slice(0, 5), extra, ...healthy.slice(5)]);
    const after = defs(inserted);
    for (const r of before) expect(after.map((a) => a.id)).toContain(r.id);
    const dup = defs([...healthy, { ...(healthy.at(-1) as RuleRecord) }]);
    expect(new Set(dup.map((d) => d.id)).size).toBe(dup.length);
    const diff = diffRulesets(before, after);
    expect(diff.added).toEqual(['ipv4 filter INPUT: -A INPUT -p udp -j DROP']);
    expect(diff.removed).toEqual([]);
    expect(diff.moved).toEqual([]);
  });

  it('reports moves, removals and policy changes; counters alone are no change', () => {
    const before = defs(healthy);
    expect(rulesetChanged(before, defs(healthy.map((r) => ({ ...r, packets: 999 }))))).toBe(false);
    const input = healthy.filter((r) => r.chain === 'INPUT' && !r.isPolicy && r.table === 'filter');
    const [first, second] = input as [RuleRecord, RuleRecord];
    const swapped = renumber(
      healthy
        .filter((r) => r !== first && !r.text.includes('--dport 22'))
        .flatMap((r) => (r === second ? [second, first] : [r]))
        .map((r) =>
          r.isPolicy && r.chain === 'INPUT' && r.table === 'filter'
            ? { ...r, text: ':INPUT ACCEPT', verdict: 'accept' as const }
            : r,
        ),
    );
    const after = defs(swapped);
    expect(rulesetChanged(before, after)).toBe(true);
    const diff = diffRulesets(before, after);
    expect(diff.removed).toEqual([expect.stringContaining('--dport 22')]);
    expect(diff.moved.map((m) => m.text)).toHaveLength(1);
    expect(diff.policyChanges).toEqual([
      { family: 'ipv4', table: 'filter', chain: 'INPUT', from: 'DROP', to: 'ACCEPT' },
    ]);
  });

  it('names a change with one stable id that the protocol accepts', () => {
    const diff = { added: ['-A INPUT -j DROP'], removed: [], moved: [], policyChanges: [] };
    const id = rulesetChangeIdFor('ftp1', 1_795_530_286_526, diff);
    expect(id).toMatch(/^rc-[0-9a-f]{16}$/);
    expect(rulesetChangeIdFor('ftp1', 1_795_530_286_526, structuredClone(diff))).toBe(id);
    expect(rulesetChangeIdFor('ftp2', 1_795_530_286_526, diff)).not.toBe(id);
    expect(rulesetChangeIdFor('ftp1', 1_795_530_286_527, diff)).not.toBe(id);
    expect(Value.Check(RulesetEvent, { kind: 'ruleset', at: 1, rules: [], diff, changeId: id })).toBe(true);
  });
});

describe('changeStamp', () => {
  // Recorded on a fresh-machine run: the lab switched profiles with `nft flush ruleset` then `iptables-restore`;
  // a counter poll read the empty middle 24 ms after the flush's notification while it was still being
  // debounced, and was stamped with its read. The burst's own read (the final rules) was then stamped with the
  // notification, 24 ms earlier, so the hub kept the empty ruleset as the current one and diagnosed nothing.
  const flushNotified = 1_796_082_677_950;
  const pollRead = 1_796_082_677_974;
  const before = 1_796_082_671_000;

  it('stamps a change read while its notification is still debounced with the notification', () => {
    expect(changeStamp(flushNotified, pollRead, before)).toBe(flushNotified);
  });

  it('never stamps a change before the previous one, so the newest ruleset by time is the last one read', () => {
    const middle = changeStamp(null, pollRead, before);
    const final = changeStamp(flushNotified, pollRead + 90, middle);
    expect(final).toBeGreaterThanOrEqual(middle);
  });

  it('without a notification (iptables-legacy), a change is stamped with its read', () => {
    expect(changeStamp(null, pollRead, before)).toBe(pollRead);
  });
});
