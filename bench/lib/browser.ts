import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

const WEB = fileURLToPath(new URL('../../apps/web/', import.meta.url));

/**
 * The UI built from this checkout into a temporary directory, for a hub started with it (`startHub({ uiDir })`):
 * a fresh clone has no apps/web/dist, and tests may be rebuilding that one while a bench runs.
 */
export function buildUi(): string {
  const out = mkdtempSync(join(tmpdir(), 'ftpscope-bench-ui-'));
  const r = spawnSync(join(WEB, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn', '--outDir', out], {
    cwd: WEB,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`vite build failed (apps/web):\n${r.stderr}${r.stdout}`);
  return out;
}

/** Debian's chromium (no browser download), flags for a quiet headless run on a shared machine. */
const CHROMIUM = process.env.FTPSCOPE_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** Runs fn with a fresh headless Chromium page (1280×800) and always closes the browser. */
export async function withPage<T>(fn: (page: Page, browser: Browser) => Promise<T>): Promise<T> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS }).catch((e: Error) => {
    throw new Error(`cannot start ${CHROMIUM} (apt-get install chromium): ${e.message.split('\n')[0]}`);
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // tsx compiles with esbuild's keepNames, so functions passed to page.evaluate call a __name helper.
    await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    return await fn(page, browser);
  } finally {
    await browser.close();
  }
}

/** Logs the page's browser context in (POST /api/login sets the HttpOnly cookie). */
export async function loginUi(page: Page, port: number, apiToken: string): Promise<void> {
  const res = await page.request.post(`http://127.0.0.1:${port}/api/login`, { data: { token: apiToken } });
  if (!res.ok()) throw new Error(`login failed: HTTP ${res.status()}`);
}

/** Opens the hub's UI at `hash`, logged in first. */
export async function openUi(page: Page, port: number, apiToken: string, hash = '#/'): Promise<void> {
  await loginUi(page, port, apiToken);
  await page.goto(`http://127.0.0.1:${port}/${hash}`);
}
