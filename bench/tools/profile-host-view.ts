/**
 * Where the host view's time goes: a Chromium performance trace (DevTools protocol, via playwright-core) of the
 * first render with 10,000 live sessions and of a few seconds of 1 Hz updates of every session.
 * `pnpm tsx bench/tools/profile-host-view.ts [OUT_DIR]` writes trace-*.json (open in chrome://tracing or the
 * DevTools Performance panel) and prints the main thread's time per top-level task kind and the hottest functions.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { SESSIONS, sendAll } from '../benches/07-ui-host-view.ts';
import { loginUi, withPage } from '../lib/browser.ts';
import { startHub } from '../lib/hub.ts';
import { ReplayClient } from '../lib/replay-client.ts';

const OUT = process.argv[2] ?? 'bench/results/profile';
const CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8.execute',
  'blink.user_timing',
  'loading',
  'disabled-by-default-v8.cpu_profiler',
].join(',');

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  tid: number;
  pid: number;
  id?: string;
  args?: { data?: Record<string, unknown> & { cpuProfile?: CpuProfile; timeDeltas?: number[] } };
}
interface CpuProfile {
  nodes?: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    parent?: number;
  }[];
  samples?: number[];
}

async function record(cdp: CDPSession, during: () => Promise<void>): Promise<TraceEvent[]> {
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (e: { value: TraceEvent[] }) => events.push(...e.value));
  const done = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
  await cdp.send('Tracing.start', { categories: CATEGORIES, transferMode: 'ReportEvents' });
  await during();
  await cdp.send('Tracing.end');
  await done;
  return events;
}

/** Main-thread time by task kind and the functions with the most samples (renderer with the most work). */
function summarize(label: string, events: TraceEvent[]): void {
  const mains = events.filter(
    (e) => e.name === 'thread_name' && (e.args as { name?: string })?.name === 'CrRendererMain',
  );
  const busiest = (mt: TraceEvent) =>
    events.reduce(
      (sum, e) => (e.pid === mt.pid && e.tid === mt.tid && e.ph === 'X' ? sum + (e.dur ?? 0) : sum),
      0,
    );
  const main = mains.sort((a, b) => busiest(b) - busiest(a))[0];
  const byName = new Map<string, number>();
  let tasks = 0;
  let longest = 0;
  for (const e of events) {
    if (e.pid !== main?.pid || e.tid !== main?.tid || e.ph !== 'X' || !e.dur) continue;
    if (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') {
      tasks += e.dur / 1000;
      longest = Math.max(longest, e.dur / 1000);
      continue;
    }
    byName.set(e.name, (byName.get(e.name) ?? 0) + e.dur / 1000);
  }
  console.log(
    `\n== ${label}: main thread busy ${tasks.toFixed(0)} ms in tasks, longest task ${longest.toFixed(1)} ms`,
  );
  for (const [n, ms] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 18))
    console.log(`${ms.toFixed(1).padStart(9)}  ${n}`);
  const nodes = new Map<string, string>();
  const self = new Map<string, number>();
  for (const e of events) {
    if (e.name !== 'ProfileChunk' || e.pid !== main?.pid) continue;
    const p = e.args?.data?.cpuProfile;
    for (const n of p?.nodes ?? [])
      nodes.set(
        `${e.id ?? ''}:${n.id}`,
        `${n.callFrame.functionName || '(anonymous)'} ${(n.callFrame.url ?? '').split('/').pop()}:${n.callFrame.lineNumber}`,
      );
    const deltas = e.args?.data?.timeDeltas ?? [];
    (p?.samples ?? []).forEach((id, i) => {
      const fn = nodes.get(`${e.id ?? ''}:${id}`) ?? String(id);
      self.set(fn, (self.get(fn) ?? 0) + (deltas[i] ?? 0) / 1000);
    });
  }
  console.log(`== ${label}: hottest functions (self ms, sampled)`);
  for (const [fn, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25))
    console.log(`${ms.toFixed(1).padStart(9)}  ${fn}`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const hub = await startHub();
  const busy = new ReplayClient(`ws://127.0.0.1:${hub.port}/ws/collector`, hub.collectorToken, 'busy');
  let updating = true;
  try {
    await busy.connect();
    await sendAll(busy, SESSIONS, Date.now(), 'ESTABLISHED');
    const updates = (async () => {
      for (let i = 0; updating; i++) {
        const next = performance.now() + 1000;
        await sendAll(busy, SESSIONS, Date.now(), i % 2 ? 'ESTABLISHED' : 'FIN_WAIT');
        await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
      }
    })();
    await withPage(async (page: Page) => {
      const cdp = await page.context().newCDPSession(page);
      await loginUi(page, hub.port, hub.apiToken);
      for (const run of [1, 2, 3]) {
        await page.goto('about:blank');
        const requests: string[] = [];
        const onDone = (r: import('playwright-core').Request) => {
          const t = r.timing();
          requests.push(
            `${t.startTime.toFixed(0)} +${t.responseEnd.toFixed(0)} ms (wait ${(t.responseStart - t.requestStart).toFixed(0)}) ${r.url().replace(/^http:\/\/[^/]+/, '')}`,
          );
        };
        page.on('requestfinished', onDone);
        const first = await record(cdp, async () => {
          const t0 = performance.now();
          await page.goto(`http://127.0.0.1:${hub.port}/#/hosts/busy`);
          await page.waitForSelector('[data-session]');
          console.log(`\nrun ${run}: first render ${(performance.now() - t0).toFixed(0)} ms`);
        });
        page.off('requestfinished', onDone);
        const t0 = Number(requests[0]?.split(' ')[0] ?? 0);
        for (const r of requests) {
          const [start, ...rest] = r.split(' ');
          console.log(`  request at +${(Number(start) - t0).toFixed(0)} ms: ${rest.join(' ')}`);
        }
        writeFileSync(join(OUT, `trace-first-render-${run}.json`), JSON.stringify({ traceEvents: first }));
        summarize(`first render, run ${run}`, first);
      }
      const upd = await record(cdp, () => new Promise((r) => setTimeout(r, 4000)));
      writeFileSync(join(OUT, 'trace-updates.json'), JSON.stringify({ traceEvents: upd }));
      summarize('4 s of 1 Hz updates', upd);
    });
    updating = false;
    await updates;
  } finally {
    updating = false;
    busy.close();
    await hub.stop();
  }
}

await main();
