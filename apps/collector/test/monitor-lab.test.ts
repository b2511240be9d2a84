import { createLab, type Lab } from '@ftpscope/lab';
import type { CollectorEvent, DataConnection, Expectation, FtpSession } from '@ftpscope/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realSpawnLines, type SpawnLines } from '../src/exec.ts';
import { netlinkSubscribed } from '../src/sources/netlink-subscribed.ts';
import { type Recorder, startMonitor } from './monitor-helpers.ts';

const LAB = `cm${process.pid.toString(36).slice(-5)}`;
let lab: Lab;
let rec: Recorder | null = null;

beforeAll(async () => {
  lab = await createLab({ name: LAB, hosts: 1, profile: 'healthy' });
}, 120_000);

afterAll(async () => {
  await lab?.down();
});

afterEach(async () => {
  await rec?.monitor.stop();
  rec = null;
});

async function monitor(nflogGroups: number[] = [], intervalMs?: number): Promise<Recorder> {
  const h = lab.host('ftp1');
  rec = await startMonitor({
    name: 'ftp1',
    netns: h.netns,
    vsftpdConf: h.vsftpdConf,
    ftpLog: h.logFile,
    nflogGroups,
    ...(intervalMs !== undefined && { intervalMs }),
  });
  return rec;
}

/** Sessions of a client that started at or after `since` (earlier ones linger in TIME_WAIT from other tests). */
const sessionsOf = (events: CollectorEvent[], client: string, since: number) => {
  const byId = new Map<string, FtpSession>();
  for (const e of events)
    if (e.kind === 'session' && e.session.client.ip === client && e.session.startedAt >= since)
      byId.set(e.session.id, e.session);
  return [...byId.values()];
};
const last = <T extends { id: string }>(events: CollectorEvent[], pick: (e: CollectorEvent) => T | null) => {
  const byId = new Map<string, T>();
  for (const e of events) {
    const x = pick(e);
    if (x) byId.set(x.id, x);
  }
  return [...byId.values()];
};
const expectations = (ev: CollectorEvent[]) =>
  last<Expectation>(ev, (e) => (e.kind === 'expectation' ? e.expectation : null));
const dataConns = (ev: CollectorEvent[]) =>
  last<DataConnection>(ev, (e) => (e.kind === 'data' ? e.data : null));

describe('host monitor on a real lab host', () => {
  it('passive get: one control session, one fulfilled expectation, one passive data connection', async () => {
    await lab.setProfile('ftp1', 'healthy');
    const r = await monitor();
    expect(r.info.problems).toEqual([]);
    expect(r.info.capabilities).toEqual(
      expect.arrayContaining(['conntrack-events', 'rules', 'ftp-settings', 'ftp-log']),
    );
    const from = r.events.length;
    const since = Date.now();
    const res = await lab.get('ftp1', 'small.txt', { mode: 'passive' });
    expect(res.ok).toBe(true);
    // The expectation and conntrack streams are separate processes: the data connection may be seen first
    // (heuristic) and then linked when its expectation arrives; the final state is what counts.
    const dc = await r.waitFor(
      'data',
      (e) => e.data.mode === 'passive' && e.data.attribution === 'expectation',
      5000,
      from,
    );
    const sessions = sessionsOf(r.events.slice(from), lab.client.ip, since);
    expect(sessions).toHaveLength(1);
    const s = sessions[0] as FtpSession;
    expect(s.helper).toBe('ftp');
    expect(s.server).toEqual({ ip: lab.host('ftp1').ip, port: 21 });
    expect(dc.data.sessionId).toBe(s.id);
    expect(dc.data.attribution).toBe('expectation');
    expect(dc.data.related).toBe(true);
    const [lo, hi] = lab.host('ftp1').passiveRange;
    expect(dc.data.serverPort).toBeGreaterThanOrEqual(lo);
    expect(dc.data.serverPort).toBeLessThanOrEqual(hi);
    const exps = expectations(r.events.slice(from)).filter((x) => x.sessionId === s.id);
    expect(exps).toHaveLength(1);
    expect(exps[0]?.fulfilledAt).not.toBeNull();
    expect(exps[0]?.mode).toBe('passive');
    expect(dataConns(r.events.slice(from)).filter((d) => d.sessionId === s.id)).toHaveLength(1);
    // The server log names the user and the transfer.
    const withLog = await r.waitFor(
      'session',
      (e) => e.session.id === s.id && (e.session.transfers?.length ?? 0) > 0,
      5000,
      from,
    );
    expect(withLog.session.user).toBe('anonymous');
    expect(withLog.session.mode).toBe('passive');
    expect(r.events.filter((e) => e.kind === 'gap')).toEqual([]);
    expect(withLog.session.transfers?.[0]).toMatchObject({
      direction: 'download',
      path: expect.stringContaining('small.txt'),
      ok: true,
    });
  });

  it('active ls: the session and its data connection are in active mode', async () => {
    const r = await monitor();
    const from = r.events.length;
    const res = await lab.ls('ftp1', { mode: 'active' });
    expect(res.ok).toBe(true);
    const dc = await r.waitFor('data', (e) => e.data.mode === 'active', 5000, from);
    expect(dc.data.serverPort).toBe(20);
    const s = await r.waitFor(
      'session',
      (e) => e.session.id === dc.data.sessionId && e.session.mode === 'active',
      5000,
      from,
    );
    expect(s.session.client.ip).toBe(lab.client.ip);
  });

  it('switching to hardened-no-helper emits a ruleset change with the right diff within 2 s, stamped when it happened, whatever the poll interval', async () => {
    await lab.setProfile('ftp1', 'healthy');
    // A counter poll every minute: only the nf_tables notification can deliver the change in time.
    const r = await monitor([], 60_000);
    expect(r.info.capabilities).toContain('ruleset-notifications');
    const from = r.events.length;
    const before = Date.now();
    await lab.setProfile('ftp1', 'hardened-no-helper');
    const applied = Date.now();
    // The lab flushes, then loads the new rules: on a loaded machine the gap can exceed the debounce, and
    // the empty ruleset in between is then a change of its own. Wait for the final state, within 2 s.
    const hardened = (rules: { text: string }[]) =>
      rules.some((x) =>
        /^-A INPUT -s \S+ -p tcp -m state --state NEW -m tcp --dport 21 -j ACCEPT$/.test(x.text),
      );
    const final = await r.waitFor('ruleset', (e) => e.diff !== null && hardened(e.rules), 2000, from);
    const changes = r.events
      .slice(from)
      .filter(
        (e): e is Extract<CollectorEvent, { kind: 'ruleset' }> => e.kind === 'ruleset' && e.diff !== null,
      );
    for (const c of changes) {
      expect(c.at).toBeGreaterThanOrEqual(before);
      expect(c.at).toBeLessThanOrEqual(applied + 50);
      expect(c.notBefore).toBeUndefined();
      expect(c.changeId).toMatch(/^rc-[0-9a-f]{16}$/);
    }
    expect(new Set(changes.map((c) => c.changeId)).size).toBe(changes.length);
    const removed = changes.flatMap((c) => c.diff?.removed ?? []);
    const added = changes.flatMap((c) => c.diff?.added ?? []);
    expect(removed).toEqual(
      expect.arrayContaining([expect.stringMatching(/raw PREROUTING: -A PREROUTING .*-j CT --helper ftp/)]),
    );
    expect(removed).toEqual(
      expect.arrayContaining([expect.stringContaining('--comment "lab: ftp control"')]),
    );
    const newAccept =
      /^ipv4 filter INPUT: -A INPUT -s \S+ -p tcp -m state --state NEW -m tcp --dport 21 -j ACCEPT$/;
    // Seen as one change (the usual case), the diff is exactly the hardening.
    if (changes.length === 1) expect(added).toEqual([expect.stringMatching(newAccept)]);
    else expect(added).toEqual(expect.arrayContaining([expect.stringMatching(newAccept)]));
    expect(changes.flatMap((c) => c.diff?.policyChanges ?? [])).toEqual([]);
    expect(final.rules.some((x) => x.text.includes('--helper ftp'))).toBe(false);
  });

  it('reports itself started only once `nft monitor trace` listens, however slowly nft starts', async () => {
    // The real nft, started a second late (as on a loaded host): a SYN traced before it listens would be lost.
    const tracers: number[] = [];
    const slowTrace: SpawnLines = (file, args, handlers) => {
      if (!args.includes('trace')) return realSpawnLines(file, args, handlers);
      const s = realSpawnLines('sh', ['-c', 'sleep 1; exec "$@"', 'sh', file, ...args], handlers);
      if (s.pid !== undefined) tracers.push(s.pid);
      return s;
    };
    const h = lab.host('ftp1');
    rec = await startMonitor({ name: 'ftp1', netns: h.netns, vsftpdConf: h.vsftpdConf, spawn: slowTrace });
    expect(rec.info.capabilities).toContain('observe');
    expect(tracers.length).toBe(1);
    expect(netlinkSubscribed(tracers[0] as number)).toBe(true);
  });

  it('hardened-no-helper: no helper, no expectation, INPUT policy drops rise; NFLOG reports the dropped SYN', async () => {
    await lab.setProfile('ftp1', 'hardened-no-helper');
    // Log what the policy is about to drop: an NFLOG rule at the end of INPUT, before the DROP policy applies.
    const add = await lab.exec('ftp1', [
      'iptables',
      '-A',
      'INPUT',
      '-p',
      'tcp',
      '-j',
      'NFLOG',
      '--nflog-group',
      '7',
      '--nflog-prefix',
      'ftpscope test drop',
    ]);
    expect(add.code).toBe(0);
    const r = await monitor([7]);
    // Claimed only once tcpdump is attached to the group, so the next dropped SYN is seen.
    expect(r.info.capabilities).toContain('nflog');
    const from = r.events.length;
    const since = Date.now();
    const res = await lab.ls('ftp1', { mode: 'passive', timeoutMs: 5000 });
    expect(res.ok).toBe(false);
    const policy = r.events
      .find((e): e is Extract<CollectorEvent, { kind: 'ruleset' }> => e.kind === 'ruleset')
      ?.rules.find((x) => x.isPolicy && x.family === 'ipv4' && x.table === 'filter' && x.chain === 'INPUT');
    expect(policy?.verdict).toBe('drop');
    await r.waitFor(
      'counters',
      (e) => e.counters.some((c) => c.ruleId === policy?.id && c.dPackets > 0),
      5000,
      from,
    );
    const sessions = sessionsOf(r.events.slice(from), lab.client.ip, since);
    expect(sessions.length).toBeGreaterThan(0);
    for (const s of sessions) expect(s.helper).toBeNull();
    const ids = new Set(sessions.map((s) => s.id));
    expect(
      expectations(r.events.slice(from)).filter((e) => e.sessionId !== null && ids.has(e.sessionId)),
    ).toEqual([]);
    const [lo, hi] = lab.host('ftp1').passiveRange;
    const drop = await r.waitFor(
      'drop',
      (e) => e.drop.src === lab.client.ip && e.drop.flags === 'S' && e.drop.source === 'nflog',
      5000,
      from,
    );
    // The observation table saw the same SYN and names the policy that dropped it, without any log rule.
    const traced = await r.waitFor(
      'drop',
      (e) => e.drop.src === lab.client.ip && e.drop.source === 'trace' && e.drop.dport === drop.drop.dport,
      5000,
      from,
    );
    expect(traced.drop).toMatchObject({ ruleId: policy?.id, verdict: 'drop', group: 0 });
    expect(drop.drop.dport).toBeGreaterThanOrEqual(lo);
    expect(drop.drop.dport).toBeLessThanOrEqual(hi);
    expect(drop.drop.dst).toBe(lab.host('ftp1').ip);
    expect(drop.drop.group).toBe(7);
    expect(drop.drop.prefix).toBe('ftpscope test drop');
    const nflogRule = r.events
      .filter((e): e is Extract<CollectorEvent, { kind: 'ruleset' }> => e.kind === 'ruleset')
      .at(-1)
      ?.rules.find((x) => x.text.includes('--nflog-group 7'));
    expect(drop.drop.ruleId).toBe(nflogRule?.id);

    // The same client's connection to a port outside the passive range (a web server beside the FTP server,
    // say) is dropped by the same policy but not traced: the table marks only the passive range (issue 15).
    const other = hi < 65535 ? hi + 1 : lo - 1;
    const before = r.events.length;
    const web = await lab.exec('client', [
      'curl',
      '-s',
      '--connect-timeout',
      '2',
      `http://${lab.host('ftp1').ip}:${other}/`,
    ]);
    expect(web.code).not.toBe(0);
    // A passive listing after it: once its SYN's trace is in, the earlier SYN's would have been too.
    expect((await lab.ls('ftp1', { mode: 'passive', timeoutMs: 5000 })).ok).toBe(false);
    const marker = await r.waitFor(
      'drop',
      (e) => e.drop.source === 'trace' && e.drop.dport !== null && e.drop.dport >= lo && e.drop.dport <= hi,
      10_000,
      before,
    );
    expect(marker.drop.src).toBe(lab.client.ip);
    const outside = r.events
      .slice(before)
      .filter((e) => e.kind === 'drop' && e.drop.source === 'trace' && e.drop.dport === other);
    expect(outside).toEqual([]);
    // NFLOG, which logs every drop, saw it: the SYN did die on the policy.
    await r.waitFor('drop', (e) => e.drop.source === 'nflog' && e.drop.dport === other, 10_000, before);
  });
  it('an iptables-legacy change (no notifications) is found by the poll and stamped as between two reads', async () => {
    const r = await monitor([], 500);
    const from = r.events.length;
    const before = Date.now();
    const add = await lab.exec('ftp1', [
      'iptables-legacy',
      '-A',
      'INPUT',
      '-p',
      'tcp',
      '--dport',
      '2121',
      '-j',
      'DROP',
    ]);
    expect(add.code).toBe(0);
    try {
      const change = await r.waitFor('ruleset', (e) => e.diff !== null, 10_000, from);
      expect(change.diff?.added).toContain('ipv4 filter INPUT: -A INPUT -p tcp -m tcp --dport 2121 -j DROP');
      expect(change.rules.some((x) => x.backend === 'iptables-legacy')).toBe(true);
      expect(change.notBefore).toBeDefined();
      expect(change.notBefore).toBeLessThanOrEqual(Date.now());
      // The window says honestly where the change happened: after the read before it, by the read that found it.
      expect(change.at).toBeGreaterThanOrEqual(before);
      expect(change.notBefore as number).toBeLessThan(change.at);
    } finally {
      // Legacy tables stay registered in the namespace once created: this test's lab goes with them.
      await r.monitor.stop();
      rec = null;
      await lab.down();
      lab = await createLab({ name: LAB, hosts: 1, profile: 'healthy' });
    }
  });
});
