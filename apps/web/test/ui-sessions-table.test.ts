// @vitest-environment happy-dom
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import SessionsTable from '../src/ui/components/SessionsTable.svelte';
import type { SessionRow } from '../src/ui/lib/rows.ts';
import { filterSessions } from '../src/ui/lib/session-filter.ts';

function makeRows(n: number): SessionRow[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    clientIp: `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    clientPort: 40000 + (i % 20000),
    serverIp: '198.18.100.1',
    serverPort: 21,
    mode: i % 2 ? 'passive' : 'active',
    state: 'ESTABLISHED',
    helper: i % 3 ? 'ftp' : null,
    user: i % 5 ? null : `user${i}`,
    startedAt: 1_700_000_000_000 + i * 1000,
    endedAt: null,
    dataConns: i % 4,
    failedData: 0,
    bytes: i * 10,
  }));
}

let app: ReturnType<typeof mount> | null = null;
afterEach(() => {
  if (app) unmount(app);
  app = null;
  document.body.innerHTML = '';
});

describe('SessionsTable', () => {
  it('renders only a window of rows out of 10,000', () => {
    const target = document.createElement('div');
    document.body.append(target);
    const rows = filterSessions(makeRows(10_000), '');
    app = mount(SessionsTable, { target, props: { rows, now: 1_700_000_100_000, height: 400 } });
    flushSync();
    const rendered = target.querySelectorAll('[data-session]');
    expect(rendered.length).toBeGreaterThan(0);
    expect(rendered.length).toBeLessThan(100);
    expect(target.querySelector('[role="table"]')?.getAttribute('aria-rowcount')).toBe('10001');
    // newest first
    expect(rendered[0]?.getAttribute('data-session')).toBe('s9999');

    // scrolling to row 5,000 renders the rows around it and drops the first ones
    const viewport = target.querySelector('[role="rowgroup"]') as HTMLElement;
    viewport.scrollTop = 5000 * 32;
    viewport.dispatchEvent(new Event('scroll'));
    flushSync();
    const ids = [...target.querySelectorAll('[data-session]')].map((e) => e.getAttribute('data-session'));
    expect(ids.length).toBeLessThan(100);
    expect(ids).toContain('s4999');
    expect(ids).not.toContain('s9999');
  });

  it('filters by client address', () => {
    const rows = filterSessions(makeRows(10_000), '198.18.3.7');
    expect(rows.every((r) => r.clientIp.includes('198.18.3.7'))).toBe(true);
    // 198.18.3.7, .70-.79 each once in a block of 250
    expect(rows.length).toBe(11);
    const target = document.createElement('div');
    document.body.append(target);
    app = mount(SessionsTable, { target, props: { rows, now: 1_700_000_100_000 } });
    flushSync();
    const texts = [...target.querySelectorAll('[data-session] [role="cell"]:first-child')].map(
      (e) => e.textContent,
    );
    expect(texts.length).toBe(11);
    expect(texts).toContain('198.18.3.7:40756');
  });
});
