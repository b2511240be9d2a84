import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startCollector } from '../lib/collector.ts';
import type { Bench, Figure } from '../lib/figure.ts';
import { figure } from '../lib/figure.ts';
import { startHub } from '../lib/hub.ts';
import { inNetns, withLab } from '../lib/lab.ts';
import { percentile } from '../lib/stats.ts';

/** The collector's counter poll in this bench: the legacy path's latency is bounded by it. */
const POLL_MS = 1000;
/** What a found change takes from the collector's read to the browser (read, batch, commit, live): measured ~50 ms. */
const DELIVERY_MS = 250;

interface Backend {
  name: 'iptables-nft' | 'nftables' | 'iptables-legacy';
  /** Commands that add, then remove, one rule (a change each). */
  add: string[];
  del: string[];
  notified: boolean;
}

const BACKENDS: Backend[] = [
  {
    name: 'iptables-nft',
    add: ['iptables', '-I', 'INPUT', '-p', 'tcp', '--dport', '9', '-j', 'DROP'],
    del: ['iptables', '-D', 'INPUT', '-p', 'tcp', '--dport', '9', '-j', 'DROP'],
    notified: true,
  },
  {
    name: 'nftables',
    add: ['nft', 'add', 'rule', 'inet', 'bench9', 'input', 'tcp', 'dport', '9', 'counter', 'drop'],
    del: ['nft', 'flush', 'chain', 'inet', 'bench9', 'input'],
    notified: true,
  },
  {
    name: 'iptables-legacy',
    add: ['iptables-legacy', '-I', 'INPUT', '-p', 'tcp', '--dport', '9', '-j', 'DROP'],
    del: ['iptables-legacy', '-D', 'INPUT', '-p', 'tcp', '--dport', '9', '-j', 'DROP'],
    notified: false,
  },
];

/**
 * 9. Ruleset change → `ruleset` event at the hub: a rule is added or removed in a lab host's namespace with the
 * real tool; latency = the moment the hub's /ws/live delivers the change − the moment the command started.
 * Per backend: iptables-nft and native nftables are announced by nf_tables (nft monitor); iptables-legacy is
 * found by the counter poll. Same-run baseline: a bare `nft monitor ruleset` in the namespace, i.e. when the
 * kernel's notification itself arrives.
 */
export const rulesetChange: Bench = {
  id: 9,
  title: 'ruleset change → ruleset event at the hub (nft monitor vs. poll)',
  async run(ctx) {
    const changes = ctx.quick ? 4 : 30;
    const dir = mkdtempSync(join(tmpdir(), 'ftpscope-bench-rs-'));
    try {
      return await withLab({ name: `r${ctx.tag}`, hosts: 1, profile: 'healthy' }, async (lab) => {
        const host = lab.host('ftp1');
        await inNetns(host.netns, ['nft', 'add', 'table', 'inet', 'bench9']);
        await inNetns(host.netns, [
          ...['nft', 'add', 'chain', 'inet', 'bench9', 'input'],
          '{ type filter hook input priority 10; policy accept; }',
        ]);
        // A legacy table exists from the start, as on a host that uses iptables-legacy.
        await inNetns(host.netns, ['iptables-legacy', '-N', 'BENCH9']);
        const hub = await startHub();
        const collector = startCollector([
          ...['--hub', `ws://127.0.0.1:${hub.port}`, '--token', hub.collectorToken, '--name', 'rs'],
          ...['--netns', host.netns, '--spool', join(dir, 'spool'), '--interval', String(POLL_MS)],
        ]);
        const received: number[] = [];
        const ws = new WebSocket(`ws://127.0.0.1:${hub.port}/ws/live`, {
          headers: { authorization: `Bearer ${hub.apiToken}` },
        });
        ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', hosts: '*' })));
        ws.on('message', (m) => {
          const msg = JSON.parse(String(m)) as { events?: { kind: string; diff?: unknown }[] };
          for (const e of msg.events ?? []) if (e.kind === 'ruleset' && e.diff) received.push(Date.now());
        });
        const monitorLines: number[] = [];
        const monitor = spawn('nsenter', [
          `--net=/run/netns/${host.netns}`,
          '--',
          'nft',
          'monitor',
          'ruleset',
        ]);
        monitor.stdout.setEncoding('utf8').on('data', () => monitorLines.push(Date.now()));
        try {
          await waitFor(() => ws.readyState === WebSocket.OPEN, 10_000);
          // The collector is up once its first ruleset reached the hub.
          const deadline = Date.now() + 30_000;
          for (;;) {
            const res = await fetch(`http://127.0.0.1:${hub.port}/api/hosts/rs/rules`, {
              headers: { authorization: `Bearer ${hub.apiToken}` },
            }).catch(() => null);
            if (res?.ok && ((await res.json()) as unknown[]).length > 0) break;
            if (Date.now() > deadline) throw new Error('the collector never reported its rules');
            await new Promise((r) => setTimeout(r, 100));
          }
          // One change, unmeasured, first: the collector's start-up reads (every tool, the firewall manager, the
          // FTP server) would otherwise delay whichever change comes first.
          for (const cmd of [
            ['nft', 'add', 'rule', 'inet', 'bench9', 'input', 'tcp', 'dport', '10', 'counter', 'drop'],
            ['nft', 'flush', 'chain', 'inet', 'bench9', 'input'],
          ]) {
            const n = received.length;
            await inNetns(host.netns, cmd);
            await waitFor(() => received.length > n, 3 * POLL_MS + 2000);
          }
          const figures: Figure[] = [];
          for (const b of BACKENDS) {
            const ours: number[] = [];
            const bare: number[] = [];
            for (let i = 0; i < changes; i++) {
              const n = received.length;
              const m = monitorLines.length;
              const t0 = Date.now();
              await inNetns(host.netns, i % 2 === 0 ? b.add : b.del);
              await waitFor(() => received.length > n, 3 * POLL_MS + 2000);
              ours.push((received[n] as number) - t0);
              if (b.notified && monitorLines.length > m) bare.push((monitorLines[m] as number) - t0);
              // Let the next change be its own burst.
              await new Promise((r) => setTimeout(r, 250));
            }
            ctx.log(
              `${b.name}: p50 ${percentile(ours, 50)} ms, p99 ${percentile(ours, 99)} ms [${ours.join(' ')}]`,
            );
            const target = b.notified
              ? '≤ 500 ms p99'
              : `≤ one poll interval (${POLL_MS} ms) + ${DELIVERY_MS} ms delivery, p99`;
            const limit = b.notified ? 500 : POLL_MS + DELIVERY_MS;
            figures.push(
              figure({
                bench: 9,
                name: `${b.name}: change → hub, p50`,
                unit: 'ms',
                samples: [percentile(ours, 50)],
                ...(b.notified && {
                  baseline: { name: 'bare nft monitor', samples: [percentile(bare, 50)] },
                }),
                target: 'context',
                note: `${changes} changes with the real tool; ${b.notified ? 'announced by nf_tables (nft monitor)' : 'found by the counter poll'}`,
              }),
              figure({
                bench: 9,
                name: `${b.name}: change → hub, p99`,
                unit: 'ms',
                samples: [percentile(ours, 99)],
                target,
                check: (v) => v.median <= limit,
              }),
            );
          }
          return figures;
        } finally {
          monitor.kill();
          ws.close();
          await collector.stop();
          await hub.stop();
        }
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
