/**
 * A fresh hub (buildApp, in process, evaluating every second) and the real collector CLI (a child
 * process) watching one lab host: what the diagnosis lab tests run each scenario against.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { LabHost } from '@ftpscope/lab';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { buildApp } from '../src/server/app.ts';
import { CollectorAuth } from '../src/server/ingest/collector-auth.ts';
import { until as waitFor } from './reliability-helpers.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const TSX = join(ROOT, 'node_modules/.bin/tsx');

/** The hub and collector of one scenario. */
export interface Stack {
  app: FastifyInstance;
  /** The lab host it watches. */
  host: string;
  collector: ChildProcess;
  /** Diagnosis kinds active on the host now. */
  kinds(): string[];
  stop(): Promise<void>;
}

/** Polls `pred` every 200 ms until it holds (the diagnosis tests' argument order for the shared helper). */
export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  await waitFor(what, pred, timeoutMs, 200);
}

/** A fresh hub and a real collector process watching the lab host; resolves once the host's state arrived. */
export async function startStack(
  host: LabHost,
  dir: string,
  extraArgs: string[] = [],
  conf = host.serverConf,
  opts: { privateNets?: readonly string[]; log?: string } = {},
): Promise<Stack> {
  const app = await buildApp({
    db: join(mkdtempSync(join(dir, 'hub-')), 'hub.db'),
    apiToken: 'api-token',
    collectorAuth: CollectorAuth.single('collector-token'),
    retentionIntervalMs: 0,
    ...(opts.privateNets && { privateNets: opts.privateNets }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const collector = spawn(
    TSX,
    [
      join(ROOT, 'apps/collector/src/main.ts'),
      '--hub',
      `ws://127.0.0.1:${port}`,
      '--netns',
      host.netns,
      '--name',
      host.name,
      // The server kind comes from the process listening on port 21; its config path from here (ProFTPD
      // rewrites its command line, and lab configs are not at the usual paths).
      '--ftp-conf',
      conf,
      '--ftp-log',
      opts.log ?? host.logFile,
      '--interval',
      '500',
      '--spool',
      mkdtempSync(join(dir, 'spool-')),
      ...extraArgs,
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, FTPSCOPE_TOKEN: 'collector-token', FTPSCOPE_LOG_LEVEL: 'warn' },
    },
  );
  const stack: Stack = {
    app,
    host: host.name,
    collector,
    kinds: () =>
      app.diagnoses
        .active(host.name)
        .map((d) => d.kind)
        .sort(),
    async stop() {
      if (collector.exitCode === null && collector.signalCode === null) {
        const exited = new Promise((r) => collector.once('exit', r));
        collector.kill('SIGTERM');
        const force = setTimeout(() => collector.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(force);
      }
      await app.close();
    },
  };
  try {
    await until(
      () => {
        const w = app.diagnoses.window(host.name);
        return (
          w !== null &&
          w.rules.length > 0 &&
          w.health.length > 0 &&
          w.settings !== null &&
          w.countersSince !== null
        );
      },
      30_000,
      'the collector did not deliver rules, health and settings',
    );
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}

/** What the hub knew about the host, for a failure message: which input a missing diagnosis lacked. */
function windowSummary(stack: Stack): string {
  const w = stack.app.diagnoses.window(stack.host);
  if (!w) return 'none';
  const sessions = w.sessions.map((s) => `${s.id.slice(0, 6)}:${s.state}:helper=${s.helper ?? 'none'}`);
  const policies = w.rules.filter((r) => r.isPolicy).map((r) => `${r.chain}=${r.verdict}`);
  return JSON.stringify({
    sessions,
    dataConnections: w.dataConnections.length,
    rules: w.rules.length,
    policies,
    counterSamples: w.counterSamples.length,
    lastCounterSample: w.counterSamples.at(-1)?.at ?? null,
    rulesetChanges: w.rulesetChanges.map((c) => c.at),
    drops: w.drops.length,
    now: Date.now(),
  });
}

/** Client start → diagnosis: 10 s after the first failed data channel, which comes within 2 s of the start. */
const DEADLINE_MS = 12_000;

/**
 * Runs `client` and asserts the host ends up with exactly `expected`: all of them within DEADLINE_MS
 * of the client's start, and nothing else until `settleMs` after the client finished.
 */
export async function expectDiagnoses(
  stack: Stack,
  client: () => Promise<unknown>,
  expected: string[],
  settleMs = 3000,
) {
  const started = Date.now();
  const run = client();
  let seenAt: number | null = null;
  const extra = new Set<string>();
  const watch = async (untilDone: Promise<unknown>) => {
    let done = false;
    void untilDone.finally(() => {
      done = true;
    });
    while (!done) {
      const kinds = stack.kinds();
      for (const k of kinds) if (!expected.includes(k)) extra.add(k);
      if (seenAt === null && expected.every((k) => kinds.includes(k))) seenAt = Date.now() - started;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  await watch(run.then(() => new Promise((r) => setTimeout(r, expected.length > 0 ? 0 : settleMs))));
  if (seenAt === null)
    await watch(new Promise((r) => setTimeout(r, Math.max(0, started + DEADLINE_MS - Date.now()))));
  await watch(new Promise((r) => setTimeout(r, settleMs)));
  expect([...extra], 'diagnoses that should not be there').toEqual([]);
  if (expected.length > 0) {
    expect(
      seenAt,
      `diagnoses ${expected.join(', ')} never all appeared (had: ${stack.kinds().join(', ')}; hub window: ${windowSummary(stack)})`,
    ).not.toBeNull();
    expect(seenAt).toBeLessThanOrEqual(DEADLINE_MS);
  }
  expect(stack.kinds()).toEqual([...expected].sort());
  // The latency figure docs/diagnoses.md quotes.
  if (seenAt !== null)
    process.stderr.write(`[matrix] ${expected.join(' + ')}: ${seenAt} ms after the client started\n`);
  return { seenAt };
}
