import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLab, type Lab } from '@ftpscope/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePacket } from '../src/trace/packet-decode.ts';
import { PcapReader } from '../src/trace/pcap.ts';
import { tcpdumpArgs } from '../src/trace/trace-capture.ts';

/**
 * The promise: the collector needs only CAP_NET_ADMIN (+ CAP_NET_RAW for NFLOG), not root. Proven by running
 * the real CLI as uid nobody with exactly the capability sets of deploy/ftpscope-collector.service.
 */
const ROOT = resolve(import.meta.dirname, '../../..');
const MAIN = join(ROOT, 'apps/collector/src/main.ts');
const UNIT = join(ROOT, 'apps/collector/deploy/ftpscope-collector.service');
const README = join(ROOT, 'apps/collector/README.md');

/** setpriv with the unit's User/AmbientCapabilities/CapabilityBoundingSet: nobody, net_admin + net_raw only. */
const UNIT_CAPS = [
  'setpriv',
  '--reuid=nobody',
  '--regid=nogroup',
  '--clear-groups',
  '--inh-caps=-all,+net_admin,+net_raw',
  '--ambient-caps=-all,+net_admin,+net_raw',
  '--bounding-set=-all,+net_admin,+net_raw',
  '--',
];
const NO_CAPS = [
  'setpriv',
  '--reuid=nobody',
  '--regid=nogroup',
  '--clear-groups',
  '--inh-caps=-all',
  '--ambient-caps=-all',
  '--bounding-set=-all',
  '--',
];

const LAB = `lp${process.pid.toString(36).slice(-5)}`;
let lab: Lab;

beforeAll(async () => {
  lab = await createLab({ name: LAB, hosts: 1, profile: 'healthy' });
}, 120_000);
afterAll(async () => {
  await lab?.down();
});

function run(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const [file, ...args] = argv;
    const child = spawn(file as string, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

interface OnceOutput {
  hosts: {
    info: { capabilities: string[]; problems: string[] } | null;
    sessions: { client: { ip: string } }[];
    rules: { text: string; packets: number }[];
    health: { conntrackCount: number } | null;
  }[];
}

/** Enter the lab host's namespace as root (setns needs CAP_SYS_ADMIN), then drop to `privs` and run --once. */
async function onceAs(privs: string[]): Promise<OnceOutput['hosts'][number]> {
  const netns = lab.host('ftp1').netns;
  const r = await run([
    'ip',
    'netns',
    'exec',
    netns,
    ...privs,
    process.execPath,
    '--import',
    'tsx',
    MAIN,
    '--once',
    '--json',
    '--name',
    'lp1',
    '--nflog-group',
    '7',
  ]);
  expect(r.code, r.stderr).toBe(0);
  const host = (JSON.parse(r.stdout) as OnceOutput).hosts[0];
  if (!host) throw new Error(`no host in ${r.stdout}`);
  return host;
}

describe('least privilege', () => {
  it("promise: a trace's tcpdump captures the client's FTP packets as uid nobody with the unit's capabilities", async () => {
    const child = spawn(
      'ip',
      ['netns', 'exec', lab.host('ftp1').netns, ...UNIT_CAPS, 'tcpdump', ...tcpdumpArgs(lab.client.ip, 1000)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const reader = new PcapReader();
    const packets: ReturnType<typeof decodePacket>[] = [];
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.stdout.on('data', (b: Buffer) => {
      for (const r of reader.push(b))
        packets.push(decodePacket(reader.header?.linkType ?? -1, r.tsUs, r.data));
    });
    const exited = new Promise((r) => child.once('close', r));
    try {
      const deadline = Date.now() + 15_000;
      while (!stderr.includes('listening on') && Date.now() < deadline && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 50));
      expect(stderr).toContain('listening on any');
      expect((await lab.ls('ftp1', { mode: 'passive' })).ok).toBe(true);
      const until = Date.now() + 10_000;
      while (!packets.some((p) => p?.dport === 21 && p.flags.syn) && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    expect(packets.some((p) => p?.src === lab.client.ip && p.dport === 21 && p.flags.syn)).toBe(true);
  });

  it('promise: the collector reads conntrack and rule counters as uid nobody with only CAP_NET_ADMIN + CAP_NET_RAW', async () => {
    expect((await lab.get('ftp1', 'small.txt', { mode: 'passive' })).ok).toBe(true);
    const caps = await run([
      'ip',
      'netns',
      'exec',
      lab.host('ftp1').netns,
      ...UNIT_CAPS,
      'grep',
      '^Cap',
      '/proc/self/status',
    ]);
    // Exactly bits 12 (net_admin) and 13 (net_raw), and no way back up.
    expect(caps.stdout).toMatch(/CapEff:\s+0000000000003000/);
    expect(caps.stdout).toMatch(/CapBnd:\s+0000000000003000/);

    const host = await onceAs(UNIT_CAPS);
    expect(host.sessions.some((s) => s.client.ip === lab.client.ip)).toBe(true);
    const helperRule = host.rules.find((r) => r.text.includes('CT --helper ftp'));
    expect(helperRule?.packets).toBeGreaterThan(0);
    expect(host.health?.conntrackCount).toBeGreaterThan(0);
    expect(host.info?.capabilities).toEqual(
      expect.arrayContaining(['conntrack-events', 'expectations', 'rules']),
    );
    // Nothing it needs is reported missing; only iptables-legacy (CAP_DAC_READ_SEARCH, a documented drop-in) may be.
    const problems = host.info?.problems ?? [];
    expect(
      problems.filter((p) => !p.includes('legacy')),
      problems.join('\n'),
    ).toEqual([]);
  });

  it('promise: without those capabilities the same run reads nothing and says which capability is missing', async () => {
    const host = await onceAs(NO_CAPS);
    expect(host.sessions).toEqual([]);
    expect(host.rules).toEqual([]);
    expect((host.info?.problems ?? []).join('\n')).toMatch(/CAP_NET_ADMIN/);
  });

  it('promise: the systemd unit grants exactly what the test proves, and documents what --netns adds', async () => {
    const unit = readFileSync(UNIT, 'utf8');
    const value = (key: string) =>
      unit
        .split('\n')
        .filter((l) => l.startsWith(`${key}=`))
        .map((l) => l.slice(key.length + 1).trim());
    expect(value('AmbientCapabilities')).toEqual(['CAP_NET_ADMIN CAP_NET_RAW']);
    expect(value('CapabilityBoundingSet')).toEqual(['CAP_NET_ADMIN CAP_NET_RAW']);
    expect(value('DynamicUser')).toEqual(['yes']);
    expect(value('NoNewPrivileges')).toEqual(['yes']);
    expect(value('User')).not.toContain('root');
    // Conntrack and nft talk netlink; a unit without AF_NETLINK would read nothing.
    expect(value('RestrictAddressFamilies')[0]).toContain('AF_NETLINK');
    // The token is a credential file, not argv or environment.
    expect(value('LoadCredential')[0]).toMatch(/^token:/);
    expect(unit).not.toMatch(/FTPSCOPE_TOKEN=[^%\n]/);

    // Entering a namespace (setns(2), by `ip netns exec` or `nsenter --net`) needs CAP_SYS_ADMIN: under the unit's
    // capabilities it fails, which is why the README's --netns drop-in adds CAP_SYS_ADMIN.
    const netns = lab.host('ftp1').netns;
    for (const enter of [
      ['ip', 'netns', 'exec', netns, 'true'],
      ['nsenter', `--net=/run/netns/${netns}`, '--', 'true'],
    ]) {
      const r = await run([...UNIT_CAPS, ...enter]);
      expect(r.code, enter.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(/Operation not permitted/);
    }
    expect(readFileSync(README, 'utf8')).toMatch(/--netns[^\n]*\n?.*CAP_SYS_ADMIN/);
  });
});
