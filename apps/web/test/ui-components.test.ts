// @vitest-environment happy-dom
import type {
  DiagnosisView,
  FtpSession,
  HostSummary,
  InvestigateView as InvestigateViewData,
  RulesetChangeView,
} from '@ftpscope/shared';
import { type Component, flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chartOf } from '../src/server/investigate/chart.ts';
import { entriesOf, pageOf } from '../src/server/investigate/groups.ts';
import { loadRecording } from '../src/server/investigate/recorded.fixture.ts';
import { sessionStory } from '../src/server/investigate/session-story.ts';
import { summarize } from '../src/server/investigate/summary.ts';
import { timeFormat } from '../src/server/investigate/time-format.ts';
import DiagnosisCard from '../src/ui/components/DiagnosisCard.svelte';
import DiffView from '../src/ui/components/DiffView.svelte';
import InvestigateList from '../src/ui/components/InvestigateList.svelte';
import SessionStory from '../src/ui/components/SessionStory.svelte';
import TraceLadder from '../src/ui/components/TraceLadder.svelte';
import { ApiClient } from '../src/ui/lib/api-client.ts';
import { AuthState } from '../src/ui/lib/auth.svelte.ts';
import { BatchedMap } from '../src/ui/lib/batched-map.svelte.ts';
import { Clock } from '../src/ui/lib/clock.svelte.ts';
import { type AppServices, appContext } from '../src/ui/lib/context.ts';
import { FleetStore } from '../src/ui/lib/fleet-store.svelte.ts';
import { LiveConnection } from '../src/ui/lib/live-connection.svelte.ts';
import { Router } from '../src/ui/lib/router.svelte.ts';
import { Theme } from '../src/ui/lib/theme.svelte.ts';
import FleetView from '../src/ui/views/FleetView.svelte';
import InvestigateView from '../src/ui/views/InvestigateView.svelte';
import BatchedMapProbe from './fixtures/BatchedMapProbe.svelte';

const mounted: ReturnType<typeof mount>[] = [];
function render<P extends Record<string, unknown>>(
  // biome-ignore lint/suspicious/noExplicitAny: any component with its own props
  component: Component<any>,
  props: P,
  context?: Map<unknown, unknown>,
): HTMLElement {
  const target = document.createElement('div');
  document.body.append(target);
  mounted.push(mount(component, { target, props, ...(context && { context }) }));
  flushSync();
  return target;
}
afterEach(() => {
  for (const m of mounted.splice(0)) unmount(m);
  document.body.innerHTML = '';
});

/** App services over a fetch that answers like the hub (with the given response headers per path). */
function services(
  routes: Record<string, unknown>,
  headers: Record<string, Record<string, string>> = {},
): AppServices {
  const auth = new AuthState();
  const api = new ApiClient(auth, async (url) => {
    const path = url.split('?')[0] ?? '';
    if (!(path in routes))
      return new Response(JSON.stringify({ code: 'X', message: `no ${path}` }), { status: 404 });
    return new Response(JSON.stringify(routes[path]), { status: 200, headers: headers[path] ?? {} });
  });
  const live = new LiveConnection(() => auth.unauthorized(), {
    createSocket: () => {
      throw new Error('no socket in tests');
    },
  });
  return {
    api,
    auth,
    live,
    fleet: new FleetStore(api),
    router: new Router(),
    clock: new Clock(0),
    theme: new Theme(),
  };
}

describe('DiffView', () => {
  it('shows policy changes, removed and added rules', () => {
    const change: RulesetChangeView = {
      id: 'rc-7',
      host: 'ftp1',
      at: '2025-01-01T12:00:00.000Z',
      notBefore: null,
      added: ['-A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT'],
      removed: ['-t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp'],
      moved: [],
      policyChanges: [{ family: 'ipv4', table: 'filter', chain: 'INPUT', from: 'ACCEPT', to: 'DROP' }],
    };
    const el = render(DiffView, { change });
    expect(el.querySelector('.policy')?.textContent).toContain('INPUT: ACCEPT → DROP');
    expect(el.querySelector('.removed')?.textContent).toContain('CT --helper ftp');
    expect(el.querySelector('.added')?.textContent).toContain('ESTABLISHED,RELATED');
    expect(el.querySelector('h3')?.textContent).toMatch(/ at /);
  });

  it('shows a change found by a poll as a window, not an instant', () => {
    const change: RulesetChangeView = {
      id: 'rc-8',
      host: 'ftp1',
      at: '2025-01-01T12:00:05.000Z',
      notBefore: '2025-01-01T12:00:04.000Z',
      added: ['-A INPUT -j DROP'],
      removed: [],
      moved: [],
      policyChanges: [],
    };
    const el = render(DiffView, { change });
    expect(el.querySelector('h3')?.textContent).toMatch(/between .+ and /);
  });
});

describe('DiagnosisCard', () => {
  it('shows explanation, evidence links and the fix with a copy button', () => {
    const d: DiagnosisView = {
      id: 'dg1',
      kind: 'ftp-helper-not-assigned',
      host: 'ftp1',
      severity: 'critical',
      title: 'FTP helper not assigned',
      explanation: 'Control sessions run without the ftp helper.',
      evidence: [{ type: 'session', id: 's1', label: 'session 198.18.0.10:40000' }],
      fix: ['iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp'],
      firstSeen: '2025-01-01T12:00:00.000Z',
      lastSeen: '2025-01-01T12:05:00.000Z',
      resolvedAt: null,
    };
    const el = render(DiagnosisCard, { d });
    expect(el.querySelector('.explanation')?.textContent).toContain('without the ftp helper');
    expect(el.querySelector('a[href="#/sessions/s1"]')?.textContent).toBe('session 198.18.0.10:40000');
    expect(el.querySelector('.fix')?.textContent).toContain('CT --helper ftp');
    expect(el.querySelector('button')?.textContent).toContain('Copy fix commands');
  });

  it("shows a manager's fix: its steps (edits with file and place), how it persists, the runtime equivalent folded", () => {
    const d: DiagnosisView = {
      id: 'dg2',
      kind: 'ftp-helper-not-assigned',
      host: 'ftp1',
      severity: 'critical',
      title: 'FTP helper not assigned',
      explanation: 'x',
      evidence: [],
      fix: ['ufw reload', '# ufw loads before.rules at every start'],
      fixPlan: {
        manager: 'ufw',
        steps: [
          { kind: 'edit', path: '/etc/ufw/before.rules', placement: 'prepend', lines: ['*raw', 'COMMIT'] },
          { kind: 'run', command: 'ufw reload', reload: true },
        ],
        persistence: 'ufw loads before.rules at every start',
        runtime: ['iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp'],
      },
      firstSeen: '2025-01-01T12:00:00.000Z',
      lastSeen: '2025-01-01T12:05:00.000Z',
      resolvedAt: null,
    };
    const el = render(DiagnosisCard, { d });
    expect(el.querySelector('h4')?.textContent).toContain('ufw');
    expect(el.querySelector('[data-fix-steps]')?.textContent).toBe(
      '# /etc/ufw/before.rules (at the top):\n*raw\nCOMMIT\nufw reload',
    );
    expect(el.querySelector('.persist')?.textContent).toContain('ufw loads before.rules at every start');
    const folded = el.querySelector('details');
    expect(folded?.open).toBe(false);
    expect(folded?.textContent).toContain('CT --helper ftp');
  });
});

describe('FleetView', () => {
  const host = (name: string, over: Partial<HostSummary> = {}): HostSummary => ({
    name,
    connected: true,
    lastSeen: '2025-01-01T12:00:00.000Z',
    kernel: '6.1.0',
    backends: ['iptables-nft'],
    activeSessions: 2,
    openExpectations: 1,
    dropsPerMinute: 0,
    dropsTrend: new Array(30).fill(0),
    activeDiagnoses: 0,
    ...over,
  });

  it('tells how to start a collector when no host reported yet', async () => {
    const s = services({ '/api/hosts': [], '/api/diagnoses': [] });
    await s.fleet.load();
    const el = render(FleetView, {}, appContext(s));
    expect(el.querySelector('[data-empty]')?.textContent).toContain('pnpm collector --hub ws://');
  });

  it('lists hosts in trouble first and shows API errors', async () => {
    const s = services({
      '/api/hosts': [
        host('a-fine'),
        host('b-dropping', { dropsPerMinute: 12, dropsTrend: [...new Array(28).fill(0), 40, 12] }),
        host('c-gone', { connected: false }),
      ],
    });
    await s.fleet.load();
    const el = render(FleetView, {}, appContext(s));
    const order = [...el.querySelectorAll('tr[data-host]')].map((r) => r.getAttribute('data-host'));
    expect(order).toEqual(['c-gone', 'b-dropping', 'a-fine']);
    // /api/diagnoses answered 404 here: the error is on screen, the hosts still show
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('no /api/diagnoses');
    expect(el.querySelector('tr[data-host="c-gone"]')?.textContent).toContain('disconnected');
    // the sparkline draws the hub's 30-minute history from the first load, not only what this page saw
    expect(el.querySelector('tr[data-host="b-dropping"] [role="img"]')?.getAttribute('aria-label')).toBe(
      'drops per minute over the last 30 minutes: peak 40, this minute 12',
    );
  });

  it("shows each host's firewall manager, with firewalld's backend and zone", async () => {
    const firewall: HostSummary['firewall'] = {
      at: 1,
      manager: 'firewalld',
      evidence: ['table inet firewalld in the ruleset'],
      neighbours: ['docker'],
      firewalld: {
        running: true,
        backend: 'nftables',
        defaultZone: 'public',
        ftpZones: [{ name: 'public', interfaces: [], services: [], ports: ['21/tcp'] }],
      },
      files: [],
      problems: [],
      observe: 'on',
    };
    const s = services({ '/api/hosts': [host('fw', { firewall }), host('plain')], '/api/diagnoses': [] });
    await s.fleet.load();
    const el = render(FleetView, {}, appContext(s));
    const cells = (name: string) =>
      [...el.querySelectorAll(`tr[data-host="${name}"] td`)].map((c) => c.textContent);
    expect(cells('fw')).toContain('firewalld (nftables, zone public) + docker');
    expect(cells('plain')).toContain('–');
  });
});

describe('InvestigateView', () => {
  // The hub's own answer for a recorded history (ftp1 hardened while the client works), as the route builds it.
  const rec = loadRecording('helper-removed');
  const answer: InvestigateViewData = {
    subject: rec.subject.client as string,
    from: new Date(rec.from).toISOString(),
    to: new Date(rec.to).toISOString(),
    summary: summarize(rec.history, timeFormat('UTC', rec.to)),
    chart: chartOf(rec.history),
    list: pageOf(entriesOf(rec.history), 0, 50),
    truncated: false,
  };
  const query = { client: rec.subject.client as string, at: new Date(rec.to).toISOString(), window: '30' };

  it('answers first: the summary sentences, the fix to copy, links to the change, diagnosis and failing host', async () => {
    const s = services({ '/api/investigate': answer });
    const el = render(InvestigateView, { query }, appContext(s));
    await vi.waitFor(() => expect(el.querySelector('[data-summary]')).not.toBeNull());
    const summary = el.querySelector('[data-summary]') as HTMLElement;
    expect(summary.dataset.summary).toBe('failing');
    expect(summary.textContent).toContain(answer.summary.sentences[0]);
    expect(summary.querySelector('pre.fix')?.textContent).toBe(answer.summary.fix.join('\n'));
    expect(summary.querySelector('[data-summary-change]')?.getAttribute('data-summary-change')).toBe(
      answer.summary.change?.id,
    );
    const hrefs = [...summary.querySelectorAll('a')].map((a) => a.getAttribute('href'));
    expect(hrefs).toContain(`#/hosts/ftp1?client=${encodeURIComponent(query.client)}`);
    expect(hrefs.some((h) => h?.startsWith('#/diagnoses?host=ftp1&id='))).toBe(true);
    expect(el.querySelector('[data-truncated]')).toBeNull();
  });

  it('says when the hub stopped at its row limit', async () => {
    const s = services({ '/api/investigate': { ...answer, truncated: true } });
    const el = render(InvestigateView, { query }, appContext(s));
    await vi.waitFor(() => expect(el.querySelector('[data-truncated]')).not.toBeNull());
    expect(el.querySelector('[data-truncated]')?.textContent).toContain('Narrow the window');
  });
});

describe('InvestigateList', () => {
  const rec = loadRecording('helper-removed');
  const entries = entriesOf(rec.history);

  it('shows each group once with its count, expands it to its sessions, and pages', async () => {
    const onpage = vi.fn();
    const el = render(InvestigateList, {
      page: pageOf(entries, 0, 50),
      loading: false,
      selectedChange: null,
      onpage,
      onchangeselect: () => {},
    });
    const failing = el.querySelector('li[data-outcome="failed"]') as HTMLElement;
    const group = entries.find((e) => e.type === 'sessions' && e.outcome === 'failed');
    expect(failing.textContent).toContain(`${group?.type === 'sessions' && group.count} ×`);
    expect(failing.querySelector('.sessions')).toBeNull();
    (failing.querySelector('button.expand') as HTMLButtonElement).click();
    flushSync();
    const links = [...failing.querySelectorAll('.sessions a')].map((a) => a.getAttribute('href'));
    expect(links).toEqual(group?.type === 'sessions' ? group.sessions.map((x) => `#/sessions/${x.id}`) : []);
    const paged = render(InvestigateList, {
      page: pageOf(entries, 0, 3),
      loading: false,
      selectedChange: null,
      onpage,
      onchangeselect: () => {},
    });
    expect(paged.querySelectorAll('ol.entries > li')).toHaveLength(3);
    expect(paged.querySelector('.pages')?.textContent).toContain(`1–3 of ${entries.length}`);
    (paged.querySelector('.pages button:last-child') as HTMLButtonElement).click();
    expect(onpage).toHaveBeenCalledWith(3);
  });
});

describe('SessionStory', () => {
  // A dropped session of the recording, told by the hub's own story builder.
  const rec = loadRecording('helper-removed');
  const last = new Map<string, FtpSession>();
  for (const b of rec.batches)
    for (const e of b.events) if (e.kind === 'session') last.set(e.session.id, e.session);
  const dropped = [...last.values()].find((x) => x.attempts?.[0]?.outcome === 'dropped') as FtpSession;
  const iso = (ms: number) => new Date(ms).toISOString();
  const records = dropped.attempts ?? [];
  const attempts = records.map((a) => ({
    ...a,
    askedAt: iso(a.askedAt),
    settledAt: a.settledAt === null ? null : iso(a.settledAt),
  }));
  const rules = rec.batches
    .flatMap((b) => b.events)
    .flatMap((e) => (e.kind === 'ruleset' ? e.rules : []))
    .map((r) => ({ ...r, host: 'ftp1' }));
  const change = rec.history.changes.find((c) => c.host === 'ftp1') ?? null;
  const story = sessionStory({
    host: 'ftp1',
    attempts: records,
    dialogue: { lines: dropped.dialogue ?? [], omitted: 0 },
    rules,
    before: change,
    during: [],
  });
  const view = {
    id: dropped.id,
    host: 'ftp1',
    client: dropped.client,
    server: dropped.server,
    state: dropped.state,
    helper: null,
    user: dropped.user,
    mode: dropped.mode,
    tls: false,
    startedAt: iso(dropped.startedAt),
    endedAt: null,
    expectations: [],
    dataConnections: [],
    attempts,
  };

  it('tells the dialogue, the dropped channel with its rule in words, and the ruleset in force with its diff', async () => {
    const trace = {
      id: 'tr-abcd-1234',
      host: 'ftp1',
      client: dropped.client.ip,
      startedAt: iso(dropped.startedAt - 1000),
      endedAt: iso(dropped.startedAt + 60_000),
      packets: 12,
      tls: false,
    };
    const s = services({ [`/api/sessions/${dropped.id}/story`]: story, '/api/traces': [trace] });
    const el = render(SessionStory, { session: view }, appContext(s));
    await vi.waitFor(() => expect(el.querySelector('[aria-label="FTP dialogue"]')).not.toBeNull());
    const lines = [...el.querySelectorAll('[aria-label="FTP dialogue"] li')].map((l) => l.textContent ?? '');
    expect(lines.some((l) => l.includes('C →') && l.includes('PASV'))).toBe(true);
    expect(lines.some((l) => l.includes('← S') && /227 Entering Passive Mode/.test(l))).toBe(true);
    expect(el.querySelector('[data-rule-label]')?.textContent).toBe('INPUT policy DROP (ipv4 filter)');
    // right after the 227 reply: what became of the data connection it offered
    const fate = el.querySelector('li[data-fate="dropped"]');
    expect(fate?.previousElementSibling?.textContent).toMatch(/227 Entering Passive Mode/);
    expect(fate?.textContent).toMatch(
      /data connection to [\d.]+:\d+: dropped by INPUT policy DROP \(ipv4 filter\)/,
    );
    expect(el.querySelector('tr[data-outcome="dropped"]')).not.toBeNull();
    expect(el.querySelector('[data-ruleset-before]')?.getAttribute('data-ruleset-before')).toBe(change?.id);
    await vi.waitFor(() => expect(el.querySelector('[data-trace] a')).not.toBeNull());
    expect(el.querySelector('[data-trace] a')?.getAttribute('href')).toBe('#/traces/tr-abcd-1234');
    (el.querySelector('[data-ruleset-before] button') as HTMLButtonElement).click();
    flushSync();
    expect(el.querySelector('section.diff')).not.toBeNull();
  });
});

describe('TraceLadder', () => {
  it('draws commands right, replies left, the negotiated endpoint bold and the failing SYN red with why', () => {
    const at = Date.parse('2026-03-01T12:00:00Z');
    const el = render(TraceLadder, {
      trace: {
        host: 'ftp1',
        client: '198.18.1.100',
        steps: [
          { n: 0, at, kind: 'command', verb: 'PASV', text: 'PASV' },
          {
            n: 1,
            at: at + 1,
            kind: 'reply',
            code: 227,
            text: '227 Entering Passive Mode (198,18,1,11,156,151).',
          },
          {
            n: 2,
            at: at + 1,
            kind: 'endpoint',
            mode: 'passive',
            via: 'PASV',
            ip: '198.18.1.11',
            port: 40087,
          },
          {
            n: 3,
            at: at + 2,
            kind: 'syn',
            mode: 'passive',
            src: '198.18.1.100',
            sport: 51000,
            dst: '198.18.1.11',
            dport: 40087,
            attempts: 3,
            fate: 'dropped',
            fateAt: at + 3000,
            rule: { ruleId: 'p', label: 'INPUT policy DROP', how: 'counter' },
            explanation: 'No answer to 3 SYNs: dropped by INPUT policy DROP.',
          },
          { n: 4, at: at + 5000, kind: 'reply', code: 425, text: '425 Failed to establish connection.' },
        ],
      },
    });
    const rows = [...el.querySelectorAll('.row')];
    expect(rows.map((r) => r.getAttribute('data-kind'))).toEqual([
      'command',
      'reply',
      'endpoint',
      'syn',
      'reply',
    ]);
    expect(rows[0]?.querySelector('.arrow.right')).not.toBeNull();
    expect(rows[1]?.querySelector('.arrow.left')).not.toBeNull();
    expect(rows.map((r) => r.getAttribute('data-bad'))).toEqual(['false', 'false', 'false', 'true', 'true']);
    expect(rows[3]?.classList.contains('data')).toBe(true);
    expect(rows[3]?.textContent).toContain(
      'SYN 198.18.1.100:51000 → 198.18.1.11:40087 ×3: dropped by INPUT policy DROP',
    );
    expect(rows[3]?.querySelector('.detail')?.textContent).toContain('No answer to 3 SYNs');
  });
});

describe('BatchedMap', () => {
  it('re-runs its readers once per commit, however many keys changed', () => {
    const map = new BatchedMap<string, number>();
    let runs = 0;
    const el = render(BatchedMapProbe, { map, onrun: () => runs++ });
    expect([el.textContent, runs]).toEqual(['0', 1]);
    for (let i = 0; i < 10_000; i++) map.set(`s${i}`, 1);
    flushSync();
    expect(runs).toBe(1); // nothing signalled yet
    map.commit();
    flushSync();
    expect([el.textContent, runs]).toEqual(['10000', 2]);
    map.commit(); // nothing changed since: no re-run
    map.delete('nope');
    map.commit();
    flushSync();
    expect(runs).toBe(2);
    map.delete('s1');
    map.commit();
    flushSync();
    expect([el.textContent, runs]).toEqual(['9999', 3]);
  });
});
