/**
 * conntrack-table-full on the real kernel: nf_conntrack_max is read-only inside a namespace, but each
 * namespace's own count is checked against the global max. So the test fills the lab host's table
 * (only its namespace) to the max with ASSURED entries (which early_drop may not evict), checks that
 * new connections are then dropped by conntrack itself (`conntrack -S` drop rising, the FTP login
 * fails), and asserts the real collector + hub diagnose it within 10 s and resolve it after a flush.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab, type LabHost } from '@ftpscope/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, until } from './diagnoses-stack.ts';

const LAB = `dt${randomBytes(3).toString('hex')}`;
/** Kernel memory per conntrack entry, rounded up (nf_conn is ~256-320 B on 6.x). */
const BYTES_PER_ENTRY = 400;

let lab: Lab;
let host: LabHost;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ftpscope-tablefull-'));
  lab = await createLab({ name: LAB, hosts: 1, profile: 'healthy' });
  host = lab.host('ftp1');
}, 120_000);

afterAll(async () => {
  // Deleting the namespace frees its conntrack entries even if the flush below never ran.
  await lab?.down();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function inHost(argv: string[]): Promise<string> {
  const r = await lab.exec(host.name, argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed in ${host.name}: ${r.stderr}`);
  return r.stdout;
}

/** drop + early_drop + insert_failed over all CPUs, from `conntrack -S` in the host namespace. */
async function conntrackDrops(): Promise<number> {
  const out = await inHost(['conntrack', '-S']);
  let sum = 0;
  for (const m of out.matchAll(/\b(?:drop|early_drop|insert_failed)=(\d+)/g)) sum += Number(m[1]);
  return sum;
}

/**
 * `conntrack -R` lines creating `n` ASSURED UDP entries to the discard port: not FTP, so the
 * collector's (TCP, port-filtered) event stream and listings are not flooded with them.
 */
function fillLines(n: number, server: string): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const src = `198.19.${200 + Math.floor(i / 64_000)}.1`;
    out.push(`-I -p udp -s ${src} -d ${server} --sport ${1024 + (i % 64_000)} --dport 9 -t 900 -u ASSURED`);
  }
  return `${out.join('\n')}\n`;
}

describe('conntrack-table-full on a really full table (real kernel, collector and hub)', () => {
  it('diagnoses a full table within 10 s and resolves after a flush', { timeout: 120_000 }, async () => {
    // Read-only, and the root namespace's value is the limit every namespace's count is held to.
    const max = Number(readFileSync('/proc/sys/net/netfilter/nf_conntrack_max', 'utf8'));
    const need = max * BYTES_PER_ENTRY;
    if (!(max > 0) || max > 1_000_000 || need > freemem() / 4) {
      throw new Error(
        `nf_conntrack_max is ${max} (~${Math.round(need / 2 ** 20)} MB to fill, ${Math.round(freemem() / 2 ** 20)} MB free): ` +
          'too large to fill in a test on this machine; see docs/diagnoses.md',
      );
    }
    const file = join(dir, 'fill.txt');
    writeFileSync(file, fillLines(max + 100, host.ip));
    await inHost(['conntrack', '-F']);
    const stack = await startStack(host, dir);
    try {
      expect(stack.kinds()).toEqual([]);
      const dropsBefore = await conntrackDrops();
      const t0 = Date.now();
      // Stops at the first entry the kernel refuses ("not enough memory"): the table is full.
      await lab.exec(host.name, ['conntrack', '-R', file]);
      const count = Number((await inHost(['conntrack', '-C'])).trim());
      const full = Date.now();
      process.stderr.write(`[table-full] ${count}/${max} entries in ${full - t0} ms\n`);
      expect(count).toBeGreaterThanOrEqual(max - 10);

      // A new connection now dies in conntrack, before any rule: the login fails, drops rise.
      const login = await lab.login(host.name, { mode: 'passive', timeoutMs: 3000 });
      expect(login.ok).toBe(false);
      expect(await conntrackDrops()).toBeGreaterThan(dropsBefore);

      // Critical once a health sample shows the table at its max (an earlier one may catch it at 90 %).
      const critical = () =>
        stack.app.diagnoses.active(host.name).find((x) => x.kind === 'conntrack-table-full')?.severity ===
        'critical';
      await until(critical, 10_000, 'conntrack-table-full (critical)');
      process.stderr.write(`[table-full] diagnosed ${Date.now() - full} ms after the table filled\n`);
      expect(stack.kinds()).toEqual(['conntrack-table-full']);
      const [d] = stack.app.diagnoses.active(host.name);
      expect(d?.explanation).toContain(`of at most ${max} entries`);
      expect(d?.explanation).toContain('do not show on any rule counter');
      expect(d?.evidence.map((e) => e.type)).toContain('health');

      await inHost(['conntrack', '-F']);
      const flushed = Date.now();
      expect((await lab.login(host.name, { mode: 'passive', timeoutMs: 5000 })).ok).toBe(true);
      // 30 s without the cause (hysteresis) + up to 5 s until the collector reads health again.
      await until(() => stack.kinds().length === 0, 45_000, 'conntrack-table-full did not resolve');
      process.stderr.write(`[table-full] resolved ${Date.now() - flushed} ms after the flush\n`);
      const [past] = await stack.app.store.diagnoses.list({ host: host.name, active: false });
      expect(past).toMatchObject({ kind: 'conntrack-table-full', id: d?.id });
      expect(past?.resolvedAt).not.toBeNull();
    } finally {
      await stack.stop();
      await lab.exec(host.name, ['conntrack', '-F']);
    }
  });
});
