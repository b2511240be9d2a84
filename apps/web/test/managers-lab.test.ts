/**
 * Real firewall managers on the lab (firewalld, ufw, and the file-based iptables-services,
 * netfilter-persistent and nftables.service), each in its own lab so the cases run in parallel. For every
 * incident profile: the collector (with its observation table, no counters or log rules needed) names
 * ftp-helper-not-assigned within 10 s of the failed data channel; the test runs exactly the fix steps the
 * diagnosis shows, reloads the manager (and loads the saved files as at boot for the file-based ones);
 * passive and active ls and get then work and the diagnosis resolves. Healthy managed profiles raise
 * nothing under load.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab, type ManagedProfile } from '@ftpscope/lab';
import type { FirewallManagerKind } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import { applyFixPlan } from './apply-fix.ts';
import { type Stack, startStack, until } from './diagnoses-stack.ts';

/** Client start → diagnosis: 10 s after the first failed data channel, which fails within 2 s of the start. */
const DEADLINE_MS = 12_000;
/** The failing session stays "recent" for 60 s, then the lifecycle waits 30 s before resolving. */
const RESOLVE_MS = 150_000;

async function withLab<T>(profile: ManagedProfile, body: (lab: Lab, stack: Stack) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'ftpscope-managers-'));
  const lab = await createLab({ name: `mg${randomBytes(3).toString('hex')}`, hosts: 1, profile });
  let stack: Stack | null = null;
  try {
    const host = lab.host('ftp1');
    stack = await startStack(host, dir, ['--manager-pid', String(host.managerPid)]);
    return await body(lab, stack);
  } finally {
    await stack?.stop();
    await lab.down();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitForManager(stack: Stack, manager: FirewallManagerKind): Promise<void> {
  await until(
    () => stack.app.diagnoses.window('ftp1')?.firewall?.manager === manager,
    30_000,
    `the collector did not report firewall manager ${manager}`,
  );
}

const INCIDENTS: Array<{ profile: ManagedProfile; manager: FirewallManagerKind; fileBased: boolean }> = [
  { profile: 'firewalld-port-only', manager: 'firewalld', fileBased: false },
  { profile: 'ufw-port-only', manager: 'ufw', fileBased: false },
  { profile: 'iptables-services-no-helper', manager: 'iptables-services', fileBased: true },
  { profile: 'netfilter-persistent-no-helper', manager: 'netfilter-persistent', fileBased: true },
  { profile: 'nftables-service-no-helper', manager: 'nftables-service', fileBased: true },
];

describe.concurrent('real firewall managers (lab, collector, hub)', { timeout: 300_000 }, () => {
  for (const c of INCIDENTS) {
    it(`${c.profile}: ftp-helper-not-assigned, then the ${c.manager} fix as shown works and persists`, async () => {
      await withLab(c.profile, async (lab, stack) => {
        await waitForManager(stack, c.manager);
        const started = Date.now();
        const failed = await lab.ls('ftp1', { mode: 'passive' });
        expect(failed.ok, 'passive ls must fail before the fix').toBe(false);
        await until(
          () => stack.kinds().includes('ftp-helper-not-assigned'),
          Math.max(0, started + DEADLINE_MS - Date.now()),
          `${c.profile}: no ftp-helper-not-assigned within ${DEADLINE_MS} ms (had: ${stack.kinds().join(', ')})`,
        );
        process.stderr.write(
          `[managers] ${c.profile}: diagnosed ${Date.now() - started} ms after the client started\n`,
        );
        const d = stack.app.diagnoses.active('ftp1').find((x) => x.kind === 'ftp-helper-not-assigned');
        const plan = d?.fixPlan;
        expect(plan?.manager).toBe(c.manager);
        if (!d || !plan) return;
        // What runs is what the diagnosis shows: every command is a line of its fix text.
        for (const s of plan.steps) if (s.kind === 'run') expect(d.fix).toContain(s.command);
        expect(d.fix.join('\n')).toContain(plan.persistence);
        if (c.manager === 'firewalld') {
          // No counters on firewalld's rules: the drops came from the observation table, naming the reject.
          const w = stack.app.diagnoses.window('ftp1');
          const traced = w?.drops.filter((x) => x.source === 'trace') ?? [];
          expect(traced.length).toBeGreaterThan(0);
          expect(traced.some((x) => x.ruleId !== null && x.verdict === 'reject')).toBe(true);
        }
        await applyFixPlan(lab, 'ftp1', plan);
        if (c.fileBased) await lab.rebootManager('ftp1');
        for (const mode of ['passive', 'active'] as const) {
          const ls = await lab.ls('ftp1', { mode });
          expect(ls.ok, `${mode} ls after the fix: ${ls.stderr}`).toBe(true);
          const get = await lab.get('ftp1', 'small.txt', { mode });
          expect(get.ok, `${mode} get after the fix: ${get.stderr}`).toBe(true);
        }
        await until(
          () => !stack.kinds().includes('ftp-helper-not-assigned'),
          RESOLVE_MS,
          `${c.profile}: the diagnosis did not resolve after the fix`,
        );
        expect(stack.kinds()).toEqual([]);
      });
    });
  }

  for (const profile of ['firewalld-ftp-service', 'ufw-healthy'] as const) {
    it(`${profile} under load (passive + active): no diagnosis`, async () => {
      await withLab(profile, async (lab, stack) => {
        await waitForManager(stack, profile.startsWith('ufw') ? 'ufw' : 'firewalld');
        const seen = new Set<string>();
        let done = false;
        const watch = (async () => {
          while (!done) {
            for (const k of stack.kinds()) seen.add(k);
            await new Promise((r) => setTimeout(r, 200));
          }
        })();
        const [load, active] = await Promise.all([
          lab.load('ftp1', { mode: 'passive', sessions: 3, seconds: 10 }),
          lab.ls('ftp1', { mode: 'active' }),
        ]);
        // Settle: a diagnosis would show within seconds of the traffic.
        await new Promise((r) => setTimeout(r, 4000));
        done = true;
        await watch;
        expect(load.failures).toBe(0);
        expect(load.transfers).toBeGreaterThan(5);
        expect(active.ok).toBe(true);
        expect([...seen]).toEqual([]);
        // The quiet was earned: the hub saw the traffic with the helper assigned.
        const helped = () =>
          stack.app.diagnoses.window('ftp1')?.sessions.filter((s) => s.helper === 'ftp').length ?? 0;
        await until(() => helped() > 5, 20_000, `${profile}: more than 5 helper sessions in the hub`);
      });
    });
  }
});
