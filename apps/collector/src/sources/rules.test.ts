import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import type { Exec } from '../host-monitor.types.ts';
import { RulesSource } from './rules.ts';

/** An Exec that replays recorded output per tool and logs which tools ran. */
function replaying(outputs: Record<string, string>) {
  const ran: string[] = [];
  const exec: Exec = async (file) => {
    ran.push(file);
    const stdout = outputs[file];
    return stdout === undefined
      ? { code: 127, stdout: '', stderr: `${file}: not found (ENOENT)` }
      : { code: 0, stdout, stderr: '' };
  };
  return { exec, ran };
}

const EMPTY = fixture('iptables/1.8.9/nft-empty-save.txt');

describe('RulesSource', () => {
  it('steady polls run only the tools that have tables; the others are asked again after 30 s or a change', async () => {
    const { exec, ran } = replaying({
      'iptables-nft-save': fixture('iptables/1.8.9/nft-healthy-save.txt'),
      'ip6tables-nft-save': EMPTY,
      'iptables-legacy-save': '',
      'ip6tables-legacy-save': '',
      // Only the tables iptables-nft manages: nothing for nft to add.
      nft: fixture('nft/1.0.6/iptables-nft-only.json'),
    });
    let now = 1_000_000;
    const source = new RulesSource(exec, null, () => now);
    const first = await source.poll();
    expect(ran.sort()).toEqual(
      [
        'ip6tables-legacy-save',
        'ip6tables-nft-save',
        'iptables-legacy-save',
        'iptables-nft-save',
        'nft',
      ].sort(),
    );
    expect(first.backends).toEqual(['iptables-nft']);
    const rules = first.rules.length;
    expect(rules).toBeGreaterThan(5);

    ran.length = 0;
    now += 1000;
    const steady = await source.poll();
    expect(ran).toEqual(['iptables-nft-save']);
    expect(steady.rules).toHaveLength(rules);

    ran.length = 0;
    source.recheckSoon();
    await source.poll();
    expect(ran).toHaveLength(5);

    ran.length = 0;
    now += 29_000;
    await source.poll();
    expect(ran).toEqual(['iptables-nft-save']);
    ran.length = 0;
    now += 1000;
    await source.poll();
    expect(ran).toHaveLength(5);
  });

  it('keeps asking nft every poll while native tables exist, and never asks a missing tool again', async () => {
    const { exec, ran } = replaying({
      'iptables-nft-save': fixture('iptables/1.8.9/nft-healthy-save.txt'),
      'ip6tables-nft-save': fixture('iptables/1.8.9/nft-healthy-save6.txt'),
      nft: fixture('nft/1.0.6/mixed-iptables-nft.json'),
    });
    let now = 0;
    const source = new RulesSource(exec, null, () => now);
    const first = await source.poll();
    expect(first.problems.filter((p) => p.includes('legacy'))).toHaveLength(2);
    expect(first.backends.sort()).toEqual(['iptables-nft', 'nftables']);
    const native = first.rules.filter((r) => r.backend === 'nftables').length;
    expect(native).toBeGreaterThan(0);
    ran.length = 0;
    now += 60_000;
    const again = await source.poll();
    expect(ran.sort()).toEqual(['ip6tables-nft-save', 'iptables-nft-save', 'nft']);
    expect(again.rules.filter((r) => r.backend === 'nftables')).toHaveLength(native);
  });
});
