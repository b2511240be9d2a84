import type { CollectorEvent, NetfilterHealth } from '@ftpscope/shared';
import { counters, data, expectation, rules, session } from './events.ts';

const T = Date.parse('2026-03-01T15:00:00.000Z');

function health(at: number, conntrackCount: number): NetfilterHealth {
  return {
    at,
    conntrackCount,
    conntrackMax: 262144,
    expectCount: 0,
    expectMax: 1024,
    stats: { drop: 0 },
    acct: true,
    timestamp: false,
    helperRules: [],
  };
}

const settings = (listenPort: number): CollectorEvent => ({
  kind: 'settings',
  settings: {
    configPath: '/etc/vsftpd.conf',
    listenPort,
    ipv6: false,
    pasvEnabled: true,
    pasvMinPort: 30000,
    pasvMaxPort: 30100,
    pasvAddress: null,
    tls: false,
    portEnabled: true,
  },
});

const firewall = (at: number, manager: 'none' | 'ufw'): CollectorEvent => ({
  kind: 'firewall',
  firewall: {
    at,
    manager,
    evidence: [],
    neighbours: [],
    firewalld: null,
    files: [],
    problems: [],
    observe: 'off',
  },
});

const drop = (at: number): CollectorEvent => ({
  kind: 'drop',
  drop: {
    at,
    group: 5,
    ruleId: null,
    prefix: 'ftpscope-drop',
    proto: 'TCP',
    src: '198.18.0.100',
    dst: '198.18.1.1',
    sport: 50000,
    dport: 30042,
    flags: 'SYN',
  },
});

const diff = { added: ['-A INPUT -j DROP'], removed: [], moved: [], policyChanges: [] };

/**
 * For every kind of collector event, two events in arrival order where the second is the same object (upsert),
 * the same host's state (latest) or a second record (append), the first one newer by time for appends: what a
 * replayed spool can deliver. Tests check every consumer against EVENT_SEMANTICS with these.
 */
export const EVENT_PAIRS: { [K in CollectorEvent['kind']]: [CollectorEvent, CollectorEvent] } = {
  session: [session('s1', T), session('s1', T, { state: 'CLOSED', endedAt: T + 5000 })],
  expectation: [expectation('x1', 's1', T), expectation('x1', 's1', T, { fulfilledAt: T + 100 })],
  data: [data('d1', 's1', T), data('d1', 's1', T, false)],
  settings: [settings(21), settings(2121)],
  firewall: [firewall(T, 'none'), firewall(T + 1000, 'ufw')],
  ruleset: [
    { kind: 'ruleset', at: T + 2000, rules: rules(), diff },
    { kind: 'ruleset', at: T + 1000, rules: rules().slice(0, 2), diff },
  ],
  counters: [counters(T + 2000, 20, 2), counters(T + 1000, 18, 1)],
  health: [
    { kind: 'health', health: health(T + 2000, 42) },
    { kind: 'health', health: health(T + 1000, 7) },
  ],
  drop: [drop(T + 2000), drop(T + 1000)],
  gap: [
    {
      kind: 'gap',
      gap: { at: T + 2000, source: 'conntrack-events', reason: 'overflow', fromSeq: null, toSeq: null },
    },
    { kind: 'gap', gap: { at: T + 1000, source: 'spool', reason: 'full', fromSeq: 3, toSeq: 9 } },
  ],
  sync: [
    { kind: 'sync', at: T + 2000, activeSessionIds: ['s1'] },
    { kind: 'sync', at: T + 1000, activeSessionIds: [] },
  ],
};
