import type { DroppedPacket } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import { identifyRules } from '../model/rule-ids.ts';
import { traceRuleResolver } from '../model/trace-rules.ts';
import { parseNftJson } from './nft-json-parse.ts';
import { NftTraceSource } from './nft-trace.ts';
import { parseTraceLine } from './nft-trace-parse.ts';

describe('nft monitor trace', () => {
  it('parses every line of a recorded firewalld trace', () => {
    const lines = fixture('firewalld/1.3.3/trace-port-only.txt').split('\n').filter(Boolean);
    expect(lines.map(parseTraceLine).filter((x) => x === null)).toEqual([]);
    expect(parseTraceLine(lines.find((l) => l.includes('(verdict drop)')) as string)).toMatchObject({
      type: 'rule',
      table: 'firewalld',
      chain: 'filter_IN_public',
      handle: 72,
      verdict: 'drop',
      text: 'reject with icmpx admin-prohibited',
    });
  });

  it('turns the drop of a traced passive SYN into one drop naming firewalld reject rule (no counters there)', async () => {
    const rules = identifyRules(parseNftJson(fixture('firewalld/1.3.3/nftables-port-only.json')).records);
    const drops: DroppedPacket[] = [];
    const src = new NftTraceSource({
      spawn: () => ({ stop() {} }),
      ruleFor: traceRuleResolver(
        () => rules,
        async () => ({ code: 1, stdout: '', stderr: '' }),
      ),
      onDrop: (d) => drops.push(d),
      onProblem: () => {},
      now: () => 1000,
    });
    for (const l of fixture('firewalld/1.3.3/trace-port-only.txt').split('\n')) src.line(l);
    await new Promise((r) => setTimeout(r, 0));
    expect(drops).toEqual([]); // they wait for the next rule poll's batch
    src.flush();
    expect(drops).toHaveLength(1);
    const rule = rules.find((r) => r.def.id === drops[0]?.ruleId);
    expect(rule?.def).toMatchObject({ table: 'firewalld', chain: 'filter_IN_public', verdict: 'reject' });
    expect(drops[0]).toMatchObject({
      source: 'trace',
      verdict: 'reject',
      dport: 40108,
      flags: 'S',
      src: '198.18.2.100',
    });
  });

  it('maps an iptables-nft rule handle to the iptables-save rule at that position', async () => {
    const rules = identifyRules([
      {
        backend: 'iptables-nft',
        family: 'ipv4',
        table: 'filter',
        chain: 'INPUT',
        position: 1,
        text: '-A INPUT -p tcp -m tcp --dport 40100:40199 -j DROP',
        verdict: 'drop',
        isPolicy: false,
        comment: null,
        packets: 0,
        bytes: 0,
        nflogGroup: null,
        nflogPrefix: null,
        helper: null,
      },
    ]);
    const exec = async () => ({
      code: 0,
      stdout: JSON.stringify({ nftables: [{ rule: { handle: 6 } }] }),
      stderr: '',
    });
    const resolve = traceRuleResolver(() => rules, exec);
    expect(await resolve({ id: 'x', family: 'ip', table: 'filter', chain: 'INPUT', handle: 6 })).toBe(
      rules[0]?.def.id,
    );
  });
});
