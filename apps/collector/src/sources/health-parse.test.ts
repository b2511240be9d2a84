import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import { parseConntrackStats, parseSysctls } from './health-parse.ts';

describe('health parsers', () => {
  it('sums conntrack -S over CPUs', () => {
    const r = parseConntrackStats(fixture('conntrack/1.4.7/stats.txt'));
    expect(r.unknown).toBe(0);
    expect(r.records).toHaveLength(2);
    expect(Object.keys(r.totals)).toEqual(
      expect.arrayContaining(['drop', 'early_drop', 'insert_failed', 'invalid']),
    );
    const twice = parseConntrackStats('cpu=0 drop=2 invalid=1\ncpu=1 drop=3 invalid=0\n');
    expect(twice.totals).toEqual({ drop: 5, invalid: 1 });
  });

  it('reads grep -H output of /proc/sys files', () => {
    const r = parseSysctls(
      '/proc/sys/net/netfilter/nf_conntrack_count:4\n/proc/sys/net/netfilter/nf_conntrack_acct:0\nbad\n',
    );
    expect(r.values.get('nf_conntrack_count')).toBe('4');
    expect(r.values.get('nf_conntrack_acct')).toBe('0');
    expect(r.unknown).toBe(1);
  });
});
