/**
 * The observation table's life on a real lab host with the real collector CLI: created at start, a stale
 * copy left by `kill -9` replaced (never duplicated), nobody else's table touched, removed on a clean stop,
 * absent with --observe off. The collector streams to a hub address nobody listens on (it spools meanwhile).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLab, type Lab } from '@ftpscope/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realExec, realSpawnLines, spawnWithNetns, withNetns } from '../src/exec.ts';
import { FirewallWatch } from '../src/firewall-watch.ts';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');

let lab: Lab;
let dir: string;
let netns: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ftpscope-observe-'));
  lab = await createLab({
    name: `ob${randomBytes(3).toString('hex')}`,
    hosts: 1,
    profile: 'hardened-no-helper',
  });
  netns = lab.host('ftp1').netns;
}, 60_000);

afterAll(async () => {
  for (const c of started) killGroup(c);
  await lab?.down();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const nft = (...args: string[]) =>
  execFileSync('nsenter', [`--net=/run/netns/${netns}`, '--', 'nft', ...args], { encoding: 'utf8' });
const ourTables = () =>
  nft('list', 'tables')
    .split('\n')
    .filter((l) => l.trim() === 'table inet ftpscope').length;
/** The ruleset without our table and without counters (-s), to prove nothing else changes. */
const othersRuleset = () => nft('-s', 'list', 'ruleset').replace(/table inet ftpscope \{[\s\S]*?\n\}\n/, '');

const started: ChildProcess[] = [];

/**
 * The collector as node + tsx's loader in one process (the tsx CLI would put a wrapper in front that a kill -9
 * leaves the collector behind), in its own process group so a kill -9 takes its tools too, as systemd does.
 */
function collector(observe: 'on' | 'off', spool: string): ChildProcess {
  const c = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      MAIN,
      '--hub',
      'ws://127.0.0.1:9',
      '--netns',
      netns,
      '--name',
      'obs',
      '--spool',
      join(dir, spool),
      '--observe',
      observe,
    ],
    {
      stdio: 'ignore',
      detached: true,
      env: { ...process.env, FTPSCOPE_TOKEN: 'x', FTPSCOPE_LOG_LEVEL: 'silent' },
    },
  );
  started.push(c);
  return c;
}

/** kill -9 of the collector's process group. */
function killGroup(c: ChildProcess): void {
  try {
    if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

async function until(what: string, pred: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const spooled = (spool: string) => {
  try {
    return readdirSync(join(dir, spool), { recursive: true }).length;
  } catch {
    return 0;
  }
};

const exited = (c: ChildProcess) =>
  new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)));

describe('observation table lifecycle (real nft, real collector)', { timeout: 90_000 }, () => {
  it('created once, survives kill -9 as one stale copy that the next start replaces, removed on SIGTERM', async () => {
    const before = othersRuleset();
    const first = collector('on', 'spool-first');
    await until('the table after start', () => ourTables() === 1);
    // A client's control packet fills the set: the replacement must start from an empty one.
    await lab.login('ftp1', { mode: 'passive' });
    await until('the client learned', () =>
      nft('list', 'set', 'inet', 'ftpscope', 'clients4').includes(lab.client.ip),
    );
    killGroup(first);
    await exited(first);
    expect(ourTables()).toBe(1);
    const second = collector('on', 'spool-second');
    await until(
      'the stale copy replaced',
      () => !nft('list', 'set', 'inet', 'ftpscope', 'clients4').includes(lab.client.ip),
    );
    expect(ourTables()).toBe(1);
    expect(othersRuleset()).toBe(before);
    second.kill('SIGTERM');
    await exited(second);
    expect(ourTables()).toBe(0);
    expect(othersRuleset()).toBe(before);
  });

  it('a stop while it starts (a signal during start-up) leaves no table behind', async () => {
    const problems: string[] = [];
    const spawnNs = spawnWithNetns(realSpawnLines, netns);
    let stopping: Promise<void> | null = null;
    const watch: FirewallWatch = new FirewallWatch({
      name: 'obs',
      netns,
      managerPid: null,
      observe: true,
      ftpPorts: [21],
      passiveRange: () => lab.host('ftp1').passiveRange,
      exec: realExec,
      netExec: withNetns(realExec, netns),
      // The signal arrives as `nft monitor trace` starts: the table is loaded, start() waits for it to listen.
      spawn: (file, args, handlers) => {
        const stream = spawnNs(file, args, handlers);
        if (args.includes('trace')) setImmediate(() => (stopping = watch.stop()));
        return stream;
      },
      rules: () => [],
      emit: () => {},
      problem: (p) => problems.push(p),
      now: Date.now,
    });
    await watch.start();
    await until('the stop', () => stopping !== null);
    await stopping;
    expect(ourTables()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('--observe off loads nothing', async () => {
    const c = collector('off', 'spool-off');
    // Proof it is running and has read the namespace: its first batches (the host's snapshot) are spooled,
    // the hub being unreachable.
    await until('the collector spooled its first batch', () => spooled('spool-off') > 0);
    expect(ourTables()).toBe(0);
    c.kill('SIGTERM');
    await exited(c);
  });
});
