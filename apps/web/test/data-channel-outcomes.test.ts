/**
 * The outcome of every data channel, end to end on the real lab: real vsftpd, curl, iptables and
 * conntrack, the collector CLI and the hub. On a host without the FTP helper every passive listing the
 * client ran is `dropped` by the INPUT policy; on a healthy host every one is `ok` with its bytes; and the
 * counts are exactly what the clients saw.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab, type LabHost } from '@ftpscope/lab';
import type { RuleView, SessionView } from '@ftpscope/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './diagnoses-stack.ts';

const LAB = `do${randomBytes(3).toString('hex')}`;
const RUNS = 3;

let lab: Lab;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ftpscope-outcomes-'));
  lab = await createLab({ name: LAB, hosts: 1, profile: 'hardened-no-helper' });
}, 120_000);

afterAll(async () => {
  await lab?.down();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function get<T>(stack: Stack, url: string): Promise<T> {
  const res = await stack.app.inject({ url, headers: { authorization: 'Bearer api-token' } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as T;
}

/** Runs curl passive listings one after the other; returns how many worked and how many failed. */
async function listings(host: LabHost): Promise<{ ok: number; failed: number }> {
  let ok = 0;
  let failed = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = await lab.ls(host.name, { mode: 'passive', client: 'curl', timeoutMs: 6000 });
    if (r.ok) ok++;
    else failed++;
  }
  return { ok, failed };
}

/** Sessions of the client with every attempt settled (polls the REST API). */
async function settledSessions(stack: Stack, host: LabHost, count: number): Promise<SessionView[]> {
  let sessions: SessionView[] = [];
  const deadline = Date.now() + 20_000;
  for (;;) {
    sessions = (
      await get<SessionView[]>(stack, `/api/hosts/${host.name}/sessions?client=${lab.client.ip}`)
    ).filter((s) => (s.attempts ?? []).length > 0);
    const settled = sessions.filter(
      (s) => s.endedAt !== null && (s.attempts ?? []).every((a) => a.outcome !== 'pending'),
    );
    if (settled.length >= count) return settled;
    if (Date.now() > deadline)
      throw new Error(
        `only ${settled.length} of ${count} sessions settled: ${JSON.stringify(sessions.map((s) => s.attempts))}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('data-channel outcomes (real lab, collector and hub)', { timeout: 120_000 }, () => {
  it('no helper: every passive ls is dropped by the INPUT policy; healthy: every one ok with bytes; counts exact', async () => {
    const host = lab.host('ftp1');
    const stack = await startStack(host, dir);
    try {
      const failing = await listings(host);
      expect(failing).toEqual({ ok: 0, failed: RUNS });
      const dropped = await settledSessions(stack, host, RUNS);
      const rules = await get<RuleView[]>(stack, `/api/hosts/${host.name}/rules`);
      const policy = rules.find((r) => r.chain === 'INPUT' && r.isPolicy && r.family === 'ipv4');
      expect(dropped.length).toBe(RUNS);
      for (const s of dropped) {
        expect(s.mode).toBe('passive');
        expect(s.attempts).toEqual([
          expect.objectContaining({
            command: 'PASV',
            outcome: 'dropped',
            ruleId: policy?.id,
            // The observation table (on by default) traces the SYN to its exact port and names the policy.
            dropSource: 'observed',
            tiedBy: 'port',
            port: expect.any(Number),
          }),
        ]);
      }

      // Healthy, with conntrack accounting on so the kernel counts each data connection's bytes.
      await lab.setProfile(host.name, 'healthy');
      await lab.exec(host.name, ['sysctl', '-q', '-w', 'net.netfilter.nf_conntrack_acct=1']);
      const working = await listings(host);
      expect(working).toEqual({ ok: RUNS, failed: 0 });
      const all = await settledSessions(stack, host, 2 * RUNS);
      const outcomes = all.flatMap((s) => (s.attempts ?? []).map((a) => a.outcome));
      expect(outcomes.filter((o) => o === 'dropped').length).toBe(failing.failed);
      expect(outcomes.filter((o) => o === 'ok').length).toBe(working.ok);
      expect(outcomes.length).toBe(2 * RUNS);
      // Bytes arrive with the data connection's DESTROY, shortly after the outcome.
      const deadline = Date.now() + 10_000;
      let ok: SessionView[] = [];
      while (Date.now() < deadline) {
        ok = (await settledSessions(stack, host, 2 * RUNS)).filter((s) => s.attempts?.[0]?.outcome === 'ok');
        if (ok.every((s) => s.attempts?.[0]?.bytes !== null)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      for (const s of ok)
        expect(s.attempts?.[0]).toMatchObject({
          outcome: 'ok',
          bytesFrom: 'conntrack',
          bytes: expect.any(Number),
          tiedBy: 'expectation',
          dataConnectionId: expect.any(String),
        });
      expect(ok.every((s) => (s.attempts?.[0]?.bytes ?? 0) > 0)).toBe(true);
    } finally {
      await stack.stop();
    }
  });
});
