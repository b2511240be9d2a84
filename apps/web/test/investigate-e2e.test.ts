import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, createWorkstation, type Lab, type Workstation } from '@ftpscope/lab';
import type { DiagnosisView, RulesetChangeView } from '@ftpscope/shared';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubStack, startHubStack, workingClient } from './investigate-stack.ts';
import { buildUi, until } from './reliability-helpers.ts';

/**
 * "FTP stopped working at 15:00", answered on one screen, end to end: the built UI in Debian's Chromium at
 * 1280×800, a real hub and a real collector per lab host, a client listing both hosts while ftp1 is switched
 * to `hardened-no-helper`. The Investigate view for that client must show, above the fold, the summary naming
 * the change time, the failing host, ftp-helper-not-assigned and the fix, and the chart with the change marker.
 * Screenshots go to test/artifacts/ (investigate.png, session-story.png).
 */

const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const VIEWPORT = { width: 1280, height: 800 };

const apiToken = randomBytes(16).toString('hex');
const work = mkdtempSync(join(tmpdir(), 'ftpscope-inv-e2e-'));
let lab: Lab | undefined;
let ws: Workstation | undefined;
let stack: HubStack | undefined;
let context: BrowserContext | undefined;
let page: Page;
let switchedAt = 0;

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${stack?.url}${path}`, { headers: { authorization: `Bearer ${apiToken}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Sessions of the client on ftp1 since `from` whose data channel ended with `outcome`. */
async function settled(outcome: 'ok' | 'dropped', from: number): Promise<number> {
  if (!stack || !lab) return 0;
  const sessions = await stack.app.store.investigate.sessions(
    { client: lab.client.ip, host: 'ftp1' },
    from,
    Date.now(),
    1000,
  );
  return sessions.filter((s) => s.attempts.some((a) => a.outcome === outcome)).length;
}

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });

beforeAll(async () => {
  ws = await createWorkstation(work);
  mkdirSync(ARTIFACTS, { recursive: true });
  buildUi(join(work, 'ui'));
  lab = await createLab({ name: `ie${randomBytes(3).toString('hex')}`, hosts: 2, profile: 'healthy' });
  stack = await startHubStack(lab, work, { apiToken, uiDir: join(work, 'ui'), listen: ws.hubIp });

  // The client works: passive listings on ftp1 and ftp2 in turn. ftp1 is "hardened" while it does.
  const client = workingClient(lab, ['ftp1', 'ftp2']);
  try {
    const start = Date.now();
    await until('3 working listings on ftp1', async () => (await settled('ok', start)) >= 3, 60_000, 250);
    await lab.setProfile('ftp1', 'hardened-no-helper');
    switchedAt = Date.now();
    await until(
      'ftp-helper-not-assigned on ftp1 and 3 dropped listings after the change',
      async () =>
        stack?.app.diagnoses.active('ftp1').some((d) => d.kind === 'ftp-helper-not-assigned') &&
        (await settled('dropped', switchedAt)) >= 3,
      90_000,
      250,
    );
  } finally {
    await client.stop();
  }

  context = await chromium.launchPersistentContext(join(work, 'chromium-profile'), {
    executablePath: ws.chromium,
    headless: true,
    viewport: VIEWPORT,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => console.error('page error:', err));
  await page.goto(`${stack.url}/?token=${apiToken}`);
  await page.waitForSelector('[data-live-status="connected"]', { timeout: 15_000 });
}, 300_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await stack?.stop();
  await lab?.down();
  await ws?.down();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

/** The element's box lies inside the first screen (the viewport, no scrolling). */
async function aboveTheFold(selector: string): Promise<void> {
  const box = await (await page.waitForSelector(selector, { timeout: 10_000 })).boundingBox();
  expect(box, selector).not.toBeNull();
  expect((box?.y ?? 0) + (box?.height ?? 0), `${selector} ends below the fold`).toBeLessThanOrEqual(
    VIEWPORT.height,
  );
  expect(box?.y ?? -1).toBeGreaterThanOrEqual(0);
}

describe('Investigate answers first (real hub, collectors, lab, Chromium 1280×800)', () => {
  it('shows above the fold: the change time, the failing host, ftp-helper-not-assigned, the fix and the change marker', async () => {
    const client = lab?.client.ip ?? '';
    await page.goto(
      `${stack?.url}/#/investigate?client=${client}&at=${encodeURIComponent(new Date(switchedAt).toISOString())}&window=15`,
    );
    await page.waitForSelector('[data-summary="failing"]', { timeout: 15_000 });

    const changes = await api<RulesetChangeView[]>(
      `/api/hosts/ftp1/ruleset-changes?from=${new Date(switchedAt - 60_000).toISOString()}`,
    );
    const change = changes.find((c) => Math.abs(Date.parse(c.at) - switchedAt) < 3000);
    expect(change, JSON.stringify(changes)).toBeDefined();
    const id = String(change?.id);
    // The time as the browser writes it in its own zone (the hub wrote the sentence in that zone).
    const hms = await page.evaluate(
      (at) =>
        new Intl.DateTimeFormat('en-GB', {
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
          hourCycle: 'h23',
        }).format(Date.parse(at)),
      change?.at ?? '',
    );
    const summary = (await page.textContent('[data-summary]')) ?? '';
    expect(summary).toContain(`at ${hms}, the ruleset of ftp1 changed`);
    expect(summary).toMatch(
      /worked on ftp1 until \d\d:\d\d:\d\d; since \d\d:\d\d:\d\d all \d+ of its data channels there failed \(dropped by INPUT policy DROP\)/,
    );
    expect(summary).toContain('ftp-helper-not-assigned');
    const [diagnosis] = (await api<DiagnosisView[]>('/api/diagnoses?host=ftp1')).filter(
      (d) => d.kind === 'ftp-helper-not-assigned',
    );
    expect(await page.textContent('[data-summary] pre.fix')).toBe(diagnosis?.fix.join('\n'));
    expect(diagnosis?.fix[0]).toMatch(/-t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp/);
    expect(await page.getAttribute('[data-summary-change]', 'data-summary-change')).toBe(id);

    await aboveTheFold('[data-summary]');
    // The change's marker (it may share one with changes close in time, and then opens the first: this one).
    await aboveTheFold(`[data-change-ids~="${id}"]`);
    await aboveTheFold('.investigate-chart .plot canvas');
    expect(await page.getAttribute('.investigate-chart', 'data-lanes')).toBe('ftp1,ftp2');
    await shot('investigate');

    // The marker opens the change's diff: the helper rule is what it removed.
    await page.click(`[data-change-ids~="${id}"]`);
    const diff = await page.waitForSelector(`section.diff[data-change="${id}"]`, { timeout: 5000 });
    expect(await diff.textContent()).toContain('--helper ftp');
  });

  it('groups the sessions, and brushing the chart after the change narrows the list to the failing ones', async () => {
    const failing = await page.waitForSelector('li[data-entry="sessions"][data-outcome="failed"]');
    expect(await failing.textContent()).toMatch(
      /\d+ ×\s*passive data channel from [\d.]+ → dropped by INPUT policy DROP/,
    );
    const before = await page.$$eval('li[data-entry="sessions"]', (li) => li.map((l) => l.textContent ?? ''));
    expect(before.some((t) => t.includes('ftp1') && t.includes('→ ok'))).toBe(true);

    // Drag from just after the change marker to the right end of the plot.
    const plot = await page.waitForSelector('.investigate-chart .u-over');
    const box = await plot.boundingBox();
    const marker = await (await page.waitForSelector('[data-change-marker]')).boundingBox();
    if (!box || !marker) throw new Error('chart not laid out');
    const y = box.y + box.height / 4;
    await page.mouse.move(marker.x + marker.width / 2 + 20, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width - 2, y, { steps: 8 });
    await page.mouse.up();
    await page.waitForSelector('h2.list-title:has-text("brushed")', { timeout: 5000 });
    await until(
      'the list to narrow to the brushed range',
      async () => {
        const after = await page.$$eval('li[data-entry="sessions"]', (li) =>
          li.map((l) => `${l.getAttribute('data-outcome')} ${l.textContent ?? ''}`),
        );
        return after.length > 0 && after.every((t) => !(t.includes('ftp1') && t.startsWith('ok')))
          ? after
          : null;
      },
      10_000,
      200,
    );
  });

  it('a failing session tells its story: the dialogue, the channel dropped by the INPUT policy, the ruleset in force', async () => {
    await page.click('li[data-entry="sessions"][data-outcome="failed"] button.expand');
    await page.click('li[data-entry="sessions"][data-outcome="failed"] .sessions a');
    await page.waitForSelector('[aria-label="FTP dialogue"]', { timeout: 10_000 });
    const dialogue = (await page.textContent('[aria-label="FTP dialogue"]')) ?? '';
    expect(dialogue).toContain('PASV');
    expect(dialogue).toMatch(/227 Entering Passive Mode/);
    expect(await page.textContent('li[data-fate="dropped"]')).toMatch(
      /data connection to [\d.]+:\d+: dropped by INPUT policy DROP \(ipv4 filter\)/,
    );
    expect(await page.textContent('tr[data-outcome="dropped"] [data-rule-label]')).toBe(
      'INPUT policy DROP (ipv4 filter)',
    );
    expect(await page.getAttribute('[data-ruleset-before]', 'data-ruleset-before')).not.toBe('');
    await shot('session-story');
  });
});
