// @vitest-environment happy-dom
import type { DataChannelAttemptView } from '@ftpscope/shared';
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import DataChannelsList from '../src/ui/components/DataChannelsList.svelte';
import HealthPanel from '../src/ui/components/HealthPanel.svelte';
import SessionsTable from '../src/ui/components/SessionsTable.svelte';
import { hasTrouble, outcomeCounts, outcomeSummary, tiedByText } from '../src/ui/lib/data-channels.ts';
import { rowFromView } from '../src/ui/lib/rows.ts';

const attempt = (over: Partial<DataChannelAttemptView>): DataChannelAttemptView => ({
  id: 'a1',
  mode: 'passive',
  command: 'PASV',
  address: '198.18.1.11',
  port: 40111,
  askedAt: '2026-11-30T12:00:00.000Z',
  outcome: 'ok',
  settledAt: '2026-11-30T12:00:00.100Z',
  bytes: 564,
  bytesFrom: 'conntrack',
  ruleId: null,
  dropSource: null,
  tiedBy: 'expectation',
  expectationId: 'e1',
  dataConnectionId: 'd1',
  reason: null,
  ...over,
});

const dropped = attempt({
  id: 'a2',
  outcome: 'dropped',
  bytes: null,
  bytesFrom: null,
  ruleId: 'r-policy',
  dropSource: 'counters',
  tiedBy: 'time',
  reason: '3 packets dropped by this rule while the client tried 198.18.1.11:40111',
});

let app: ReturnType<typeof mount> | null = null;
afterEach(() => {
  if (app) unmount(app);
  app = null;
  document.body.innerHTML = '';
});

describe('data-channel outcomes in the UI', () => {
  it('summarises outcomes trouble first, and says how each was tied to its session', () => {
    const counts = outcomeCounts([attempt({}), dropped, attempt({ id: 'a3', outcome: 'unused' })]);
    expect(outcomeSummary(counts)).toBe('1 dropped · 1 offered, never used · 1 ok');
    expect(hasTrouble(counts)).toBe(true);
    expect(hasTrouble(outcomeCounts([attempt({})]))).toBe(false);
    expect(tiedByText('port')).toMatch(/exact port/);
    expect(tiedByText('client-time')).toMatch(/client address and time/);
  });

  it('lists each attempt of a session with outcome, bytes, rule link and reason', () => {
    const target = document.createElement('div');
    document.body.append(target);
    app = mount(DataChannelsList, { target, props: { attempts: [attempt({}), dropped], host: 'ftp1' } });
    flushSync();
    const rows = [...target.querySelectorAll('[data-attempt]')];
    expect(rows.map((r) => r.getAttribute('data-outcome'))).toEqual(['ok', 'dropped']);
    expect(rows[0]?.textContent).toMatch(/564 B \(conntrack\)/);
    expect(rows[1]?.textContent).toMatch(/3 packets dropped/);
    expect(rows[1]?.textContent).toMatch(/tied by time only/);
    expect(rows[1]?.querySelector('a')?.getAttribute('href')).toContain('rule=r-policy');
  });

  it('shows the outcomes of each session in the sessions table', () => {
    const row = rowFromView({
      id: 's1',
      host: 'ftp1',
      client: { ip: '198.18.1.100', port: 40000 },
      server: { ip: '198.18.1.11', port: 21 },
      state: 'CLOSED',
      helper: null,
      user: 'ftp',
      mode: 'passive',
      tls: false,
      startedAt: '2026-11-30T12:00:00.000Z',
      endedAt: '2026-11-30T12:00:05.000Z',
      expectations: [],
      dataConnections: [],
      attempts: [dropped],
    });
    const target = document.createElement('div');
    document.body.append(target);
    app = mount(SessionsTable, { target, props: { rows: [row], now: Date.parse('2026-11-30T12:01:00Z') } });
    flushSync();
    const cell = [...target.querySelectorAll('[data-session="s1"] [role="cell"]')].find((c) =>
      c.textContent?.includes('dropped'),
    );
    expect(cell?.textContent?.trim()).toBe('1 dropped');
    expect(cell?.classList.contains('bad')).toBe(true);
  });

  it('says which FTP server the host runs, its config, passive range, TLS and the log it reads', () => {
    const target = document.createElement('div');
    document.body.append(target);
    app = mount(HealthPanel, {
      target,
      props: {
        health: {
          at: 1,
          conntrackCount: 3,
          conntrackMax: 100,
          expectCount: 0,
          expectMax: 10,
          stats: {},
          acct: false,
          timestamp: false,
          helperRules: [],
        },
        settings: {
          server: 'proftpd',
          configPath: '/etc/proftpd/proftpd.conf',
          listenPort: 21,
          ipv6: true,
          pasvEnabled: true,
          pasvMinPort: 40000,
          pasvMaxPort: 40100,
          pasvAddress: '203.0.113.5',
          tls: true,
          portEnabled: true,
          tlsMode: 'required',
          logPath: null,
        },
      },
    });
    flushSync();
    expect(target.querySelector('[data-ftp-server]')?.textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'proftpd · /etc/proftpd/proftpd.conf · passive 40000–40100 as 203.0.113.5 · TLS required',
    );
    expect(target.textContent).toMatch(/none read: data channels come from the kernel only/);
  });
});
