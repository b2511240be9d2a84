/**
 * A hub (buildApp, in process, listening) and one real collector CLI per lab host, plus a client that keeps
 * working (passive listings, one host after the other) until told to stop: what the Investigate recordings and
 * the end-to-end test run their scenario against.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Lab } from '@ftpscope/lab';
import type { CollectorEvent } from '@ftpscope/shared';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/server/app.ts';
import { CollectorAuth } from '../src/server/ingest/collector-auth.ts';
import { until } from './reliability-helpers.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const TSX = join(ROOT, 'node_modules/.bin/tsx');

/** A batch as the hub stored it, with when it arrived. */
export interface ArrivedBatch {
  at: number;
  host: string;
  events: CollectorEvent[];
}

/** The hub, its collectors and every batch it stored. */
export interface HubStack {
  app: FastifyInstance;
  url: string;
  batches: ArrivedBatch[];
  stop(): Promise<void>;
}

/**
 * Starts a hub on `opts.listen` (default 127.0.0.1; a browser workstation's hubIp for UI tests) and a collector
 * per host; resolves once every host reported rules and counters.
 */
export async function startHubStack(
  lab: Lab,
  dir: string,
  opts: { apiToken: string; uiDir?: string; hosts?: string[]; collectorArgs?: string[]; listen?: string },
): Promise<HubStack> {
  const listen = opts.listen ?? '127.0.0.1';
  const app = await buildApp({
    db: join(mkdtempSync(join(dir, 'hub-')), 'hub.db'),
    apiToken: opts.apiToken,
    collectorAuth: CollectorAuth.single('collector-token'),
    retentionIntervalMs: 0,
    ...(opts.uiDir !== undefined && { uiDir: opts.uiDir }),
  });
  const batches: ArrivedBatch[] = [];
  app.hubEvents.on('batch', (host, events) => batches.push({ at: Date.now(), host, events }));
  await app.listen({ host: listen, port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const collectors: ChildProcess[] = [];
  const stack: HubStack = {
    app,
    url: `http://${listen}:${port}`,
    batches,
    async stop() {
      await Promise.all(collectors.map(stopChild));
      await app.close();
    },
  };
  const names = opts.hosts ?? lab.hosts.map((h) => h.name);
  for (const name of names) {
    const host = lab.host(name);
    collectors.push(
      spawn(
        TSX,
        [
          join(ROOT, 'apps/collector/src/main.ts'),
          '--hub',
          `ws://${listen}:${port}`,
          '--netns',
          host.netns,
          '--name',
          host.name,
          '--ftp-conf',
          host.serverConf,
          '--ftp-log',
          host.logFile,
          '--spool',
          mkdtempSync(join(dir, 'spool-')),
          ...(opts.collectorArgs ?? []),
        ],
        {
          stdio: ['ignore', 'ignore', 'inherit'],
          env: { ...process.env, FTPSCOPE_TOKEN: 'collector-token', FTPSCOPE_LOG_LEVEL: 'warn' },
        },
      ),
    );
  }
  try {
    await until(
      'every collector to report rules, health, settings and counters',
      () =>
        names.every((n) => {
          const w = app.diagnoses.window(n);
          return w !== null && w.rules.length > 0 && w.settings !== null && w.countersSince !== null;
        }),
      60_000,
      200,
    );
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(force);
}

/** What the working client saw. */
export interface ClientTally {
  ok: Record<string, number>;
  failed: Record<string, number>;
}

/**
 * A client that keeps working: passive `ls` on each host in turn (lftp, killed after `timeoutMs` when a data
 * channel hangs), `pauseMs` apart, until stop() resolves with what it saw.
 */
export function workingClient(
  lab: Lab,
  hosts: string[],
  opts: { pauseMs?: number; timeoutMs?: number } = {},
): { tally: ClientTally; stop(): Promise<ClientTally> } {
  const tally: ClientTally = { ok: {}, failed: {} };
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const host = hosts[i % hosts.length] as string;
      const r = await lab.ls(host, { mode: 'passive', timeoutMs: opts.timeoutMs ?? 4000 });
      const bucket = r.ok ? tally.ok : tally.failed;
      bucket[host] = (bucket[host] ?? 0) + 1;
      if (running) await new Promise((res) => setTimeout(res, opts.pauseMs ?? 500));
    }
  })();
  return {
    tally,
    async stop() {
      running = false;
      await loop;
      return tally;
    },
  };
}
