import { describe, expect, it } from 'vitest';
import { loadRecording } from './recorded.fixture.ts';
import { droppedBy, RuleNames, ruleLabel } from './rule-label.ts';
import { summarize } from './summary.ts';
import { timeFormat } from './time-format.ts';

describe('naming the rule that dropped a data channel, on the recording with an NFLOG rule at the end of INPUT', () => {
  const rec = loadRecording('helper-removed-nflog');
  const h = rec.history;
  const dropped = h.sessions.flatMap((s) => s.attempts).filter((a) => a.outcome === 'dropped');
  const nflog = h.rules.find((r) => r.text.includes('NFLOG'));

  it('the collector names the NFLOG rule that logged the SYN; the hub names the INPUT policy behind it', () => {
    expect(dropped.length).toBe(rec.client.failed.ftp1);
    // Most SYNs were logged by NFLOG; one dropped before the NFLOG rule existed is named by the policy counter.
    const policy = h.rules.find((r) => r.isPolicy && r.chain === 'INPUT');
    expect(dropped.some((a) => a.ruleId === nflog?.id)).toBe(true);
    expect(dropped.every((a) => a.ruleId === nflog?.id || a.ruleId === policy?.id)).toBe(true);
    const names = new RuleNames(h.rules);
    expect(names.label('ftp1', nflog?.id ?? '')).toBe('INPUT policy DROP');
    expect(names.label('ftp1', nflog?.id ?? '', true)).toBe('INPUT policy DROP (ipv4 filter)');
    // both name the same drop: one phrase, not "4 dropped by …, 1 dropped by …"
    expect(summarize(h, timeFormat('UTC', rec.to)).sentences[0]).toContain(
      `all ${rec.client.failed.ftp1} of its data channels there failed (dropped by INPUT policy DROP)`,
    );
  });

  it('does not guess when other rules follow the logging rule in its chain', () => {
    if (!nflog) throw new Error('no NFLOG rule recorded');
    const later = {
      ...nflog,
      id: 'r-later',
      position: nflog.position + 1,
      verdict: 'accept' as const,
      text: '-A INPUT -j ACCEPT',
    };
    expect(droppedBy(nflog, [...h.rules, later])).toBeNull();
    expect(new RuleNames([...h.rules, later]).label('ftp1', nflog.id)).toBe(
      `a rule after ${ruleLabel(nflog)}, which logged it`,
    );
    const accepting = h.rules.map((r) => (r.isPolicy ? { ...r, verdict: 'accept' as const } : r));
    expect(droppedBy(nflog, accepting)).toBeNull();
    expect(new RuleNames([]).label('ftp1', 'r-gone')).toBe('rule r-gone');
  });
});
