import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openUi, withPage } from '../lib/browser.ts';
import { startCollector } from '../lib/collector.ts';
import type { Bench } from '../lib/figure.ts';
import { figure } from '../lib/figure.ts';
import { startHub } from '../lib/hub.ts';
import { withLab } from '../lib/lab.ts';
import { percentile } from '../lib/stats.ts';

interface Seen {
  id: string;
  startedAt: number;
  recvAt: number;
}

/**
 * 5. End to end: an FTP login on a lab host creates a conntrack entry; the kernel's event timestamp
 * (session.startedAt, from `conntrack -E -o timestamp`) is compared with the wall-clock time the first live
 * message about that session reaches a headless Chromium on /ws/live. Real collector (CLI), real hub.
 */
export const endToEnd: Bench = {
  id: 5,
  title: 'end to end: kernel conntrack event → browser /ws/live',
  async run(ctx) {
    const logins = ctx.quick ? 8 : 40;
    const dir = mkdtempSync(join(tmpdir(), 'ftpscope-bench-e2e-'));
    try {
      return await withLab({ name: `b${ctx.tag}`, hosts: 1, profile: 'healthy' }, async (lab) => {
        const host = lab.host('ftp1');
        const hub = await startHub();
        const collector = startCollector([
          ...['--hub', `ws://127.0.0.1:${hub.port}`, '--token', hub.collectorToken, '--name', 'e2e'],
          ...['--netns', host.netns, '--spool', join(dir, 'spool'), '--vsftpd-conf', host.vsftpdConf],
        ]);
        try {
          return await withPage(async (page) => {
            await openUi(page, hub.port, hub.apiToken);
            await page.evaluate(() => {
              const w = window as unknown as { seen: Seen[] };
              w.seen = [];
              const ws = new WebSocket(`ws://${location.host}/ws/live`);
              ws.onopen = () => ws.send(JSON.stringify({ type: 'subscribe', hosts: '*' }));
              ws.onmessage = (m) => {
                const recvAt = Date.now();
                const msg = JSON.parse(m.data as string) as {
                  events?: { kind: string; session?: { id: string; startedAt: number } }[];
                };
                for (const e of msg.events ?? [])
                  if (e.kind === 'session' && e.session && !w.seen.some((s) => s.id === e.session?.id))
                    w.seen.push({ id: e.session.id, startedAt: e.session.startedAt, recvAt });
              };
            });
            await new Promise((r) => setTimeout(r, 3000)); // collector connected and synchronised
            const before = await page.evaluate(() => (window as unknown as { seen: Seen[] }).seen.length);
            for (let i = 0; i < logins; i++) {
              const r = await lab.login('ftp1', { mode: 'passive' });
              if (!r.ok) throw new Error(`login failed: ${r.stderr.slice(0, 200)}`);
            }
            await new Promise((r) => setTimeout(r, 1500));
            const seen = (await page.evaluate(() => (window as unknown as { seen: Seen[] }).seen)).slice(
              before,
            );
            const ms = seen.map((s) => s.recvAt - s.startedAt);
            ctx.log(`${seen.length} of ${logins} sessions seen live`);
            if (seen.length < logins)
              throw new Error(`only ${seen.length} of ${logins} sessions reached the browser`);
            const note = `${logins} lftp logins; latency = browser receipt − kernel event timestamp (ms resolution)`;
            return [
              figure({
                bench: 5,
                name: 'kernel event → browser, p50',
                unit: 'ms',
                samples: [percentile(ms, 50)],
                target: '≤ 50 ms',
                check: (v) => v.median <= 50,
                note,
              }),
              figure({
                bench: 5,
                name: 'kernel event → browser, p99',
                unit: 'ms',
                samples: [percentile(ms, 99)],
                target: '≤ 250 ms',
                check: (v) => v.median <= 250,
              }),
            ];
          });
        } finally {
          await collector.stop();
          await hub.stop();
        }
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
