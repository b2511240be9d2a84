import type { CollectorEvent, RuleDef } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import { captureLogger, sessionEvent, TestHostMonitor } from '../test/transport-helpers.ts';
import { parseConfig } from './config.ts';
import type { HostMonitor } from './host-monitor.types.ts';
import { runOnce } from './main.ts';
import { formatSummary, onceHost } from './once.ts';

const rule: RuleDef = {
  id: 'ipv4/filter/INPUT/policy',
  backend: 'iptables-nft',
  family: 'ipv4',
  table: 'filter',
  chain: 'INPUT',
  position: 0,
  text: ':INPUT DROP',
  verdict: 'drop',
  isPolicy: true,
  comment: null,
};

describe('onceHost', () => {
  it('folds snapshot events into sessions, rules with counters and problems', () => {
    const events: CollectorEvent[] = [
      sessionEvent('a', 'SYN_SENT'),
      sessionEvent('a', 'ESTABLISHED'),
      { kind: 'ruleset', at: 1, rules: [rule], diff: null },
      {
        kind: 'counters',
        at: 2,
        intervalMs: 1000,
        counters: [{ ruleId: rule.id, packets: 3, bytes: 180, dPackets: 3, dBytes: 180 }],
      },
    ];
    const info = {
      kernel: 'k',
      backends: [],
      capabilities: [],
      problems: ['conntrack missing: apt-get install conntrack'],
    };
    const host = onceHost('ftp1', 'ns1', info, events);
    expect(host.sessions.map((s) => [s.id, s.state])).toEqual([['a', 'ESTABLISHED']]);
    expect(host.rules).toEqual([{ ...rule, packets: 3, bytes: 180 }]);
    expect(host.problems).toEqual(['conntrack missing: apt-get install conntrack']);
    expect(formatSummary([host])).toContain('problem: conntrack missing');
  });
});

describe('runOnce', () => {
  it('prints one entry per host after start() resolves, and a host that fails is reported, not fatal', async () => {
    const config = parseConfig(['--once', '--json', '--netns', 'good', '--netns', 'bad']);
    const { log, lines } = captureLogger();
    const good = new TestHostMonitor();
    good.push(sessionEvent('s1'));
    const bad: HostMonitor = {
      start: async () => {
        throw new Error('ip netns exec bad: Cannot open network namespace');
      },
      snapshot: () => [],
      stop: async () => {},
    };
    const hosts = await runOnce(config, (o) => (o.netns === 'good' ? good : bad), log);
    expect(hosts.map((h) => h.name)).toEqual(['good', 'bad']);
    expect(hosts[0]?.sessions.map((s) => s.id)).toEqual(['s1']);
    expect(hosts[1]?.problems[0]).toContain('Cannot open network namespace');
    expect(good.stopped).toBe(true);
    expect(lines.some((l) => l.level === 50 && l.host === 'bad')).toBe(true);
  });
});
