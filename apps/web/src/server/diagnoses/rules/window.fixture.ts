/**
 * Test inputs for the diagnosis rules. Rulesets are real recordings (apps/web/test/fixtures, made by
 * test/fixtures/rulesets/record.ts) read through the collector's own parsers; sessions, expectations
 * and data connections use the addresses, ports and timings the lab's real conntrack reported
 * (apps/collector/test/fixtures/conntrack/1.4.7).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type {
  DataConnection,
  Expectation,
  FtpServerSettings,
  FtpSession,
  NetfilterHealth,
  RuleDef,
} from '@ftpscope/shared';
import { parseIptablesSave } from '../../../../../collector/src/sources/iptables-save-parse.ts';
import { parseNftJson } from '../../../../../collector/src/sources/nft-json-parse.ts';
import type { RuleRecord } from '../../../../../collector/src/sources/rule-record.ts';
import { DEFAULT_PRIVATE_NETS } from '../private-nets.ts';
import type { CounterSample, Drop, HostWindow } from '../types.ts';

const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/', import.meta.url));

/** Evaluation time of every test: one minute after T0. */
export const T0 = 1_795_725_764_000;
export const NOW = T0 + 60_000;
export const CLIENT = '198.18.250.2';
export const SERVER = '198.18.250.1';
export const CLIENT6 = '2001:2:0:250::2';
export const SERVER6 = '2001:2:0:250::1';

function toDef(r: RuleRecord): RuleDef {
  return {
    id: `${r.backend}:${r.family}:${r.table}:${r.chain}:${r.isPolicy ? 'policy' : r.position}`,
    backend: r.backend,
    family: r.family,
    table: r.table,
    chain: r.chain,
    position: r.position,
    text: r.text,
    verdict: r.verdict,
    isPolicy: r.isPolicy,
    comment: r.comment,
  };
}

/** A recorded ruleset: its rules and the helper rules the collector derives from them. */
export function ruleset(name: string): { rules: RuleDef[]; helperRules: NetfilterHealth['helperRules'] } {
  const records: RuleRecord[] = [];
  const backend = name.startsWith('legacy-') ? 'iptables-legacy' : 'iptables-nft';
  for (const [ext, family] of [
    ['save', 'ipv4'],
    ['save6', 'ipv6'],
  ] as const) {
    try {
      records.push(
        ...parseIptablesSave(
          readFileSync(`${FIXTURES}iptables/1.8.9/${name}.${ext}`, 'utf8'),
          backend,
          family,
        ).records,
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  try {
    records.push(...parseNftJson(readFileSync(`${FIXTURES}nft/1.0.6/${name}.json`, 'utf8')).records);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (records.length === 0) throw new Error(`no recorded ruleset named ${name}`);
  const rules = records.map(toDef);
  const helperRules = records
    .map((r, i) => ({ r, def: rules[i] as RuleDef }))
    .filter(({ r }) => r.helper?.name === 'ftp')
    .map(({ r, def }) => ({ ruleId: def.id, family: r.family, ports: r.helper?.ports ?? [] }));
  return { rules, helperRules };
}

/** The id of a chain's policy (or nth rule) in a recorded ruleset. */
export function ruleId(rules: RuleDef[], chain: string, family = 'ipv4', position = 0): string {
  const r = rules.find(
    (x) => x.chain === chain && x.position === position && (x.family === family || x.family === 'inet'),
  );
  if (!r) throw new Error(`no rule ${family} ${chain} #${position}`);
  return r.id;
}

let seq = 0;
const nextId = () => String(1_175_762_455 + seq++);

export function session(over: Partial<FtpSession> = {}): FtpSession {
  const v6 = over.family === 'ipv6';
  return {
    id: nextId(),
    family: 'ipv4',
    client: { ip: v6 ? CLIENT6 : CLIENT, port: 37014 + seq },
    server: { ip: v6 ? SERVER6 : SERVER, port: 21 },
    state: 'ESTABLISHED',
    helper: 'ftp',
    user: 'ftp',
    mode: 'passive',
    tls: false,
    startedAt: T0 + 30_000,
    endedAt: null,
    ...over,
  };
}

/** A passive expectation of a session: the client will connect to server:port. */
export function expectation(s: FtpSession, over: Partial<Expectation> = {}): Expectation {
  const active = over.mode === 'active';
  return {
    id: nextId(),
    sessionId: s.id,
    family: s.family,
    src: active ? s.server.ip : s.client.ip,
    dst: active ? s.client.ip : s.server.ip,
    port: active ? 46647 : 40054,
    mode: 'passive',
    createdAt: s.startedAt + 300,
    timeout: 300,
    fulfilledAt: null,
    expiredAt: null,
    ...over,
  };
}

/** A data connection of a session (through its expectation when given). */
export function data(
  s: FtpSession,
  e: Expectation | null,
  over: Partial<DataConnection> = {},
): DataConnection {
  const active = (over.mode ?? e?.mode) === 'active';
  return {
    id: nextId(),
    sessionId: s.id,
    expectationId: e?.id ?? null,
    attribution: e ? 'expectation' : 'heuristic',
    mode: active ? 'active' : 'passive',
    clientPort: active ? (e?.port ?? 46647) : 56768,
    serverPort: active ? 20 : (e?.port ?? 40054),
    state: 'TIME_WAIT',
    established: true,
    related: e !== null,
    startedAt: (e?.createdAt ?? s.startedAt) + 3,
    endedAt: null,
    bytes: null,
    ...over,
  };
}

/** A passive transfer that worked: expectation fulfilled by an established data connection. */
export function goodPassive(s: FtpSession, at = s.startedAt + 300): { e: Expectation; d: DataConnection } {
  const e = expectation(s, { createdAt: at, fulfilledAt: at + 3, expiredAt: null });
  return { e, d: data(s, e, { startedAt: at + 3 }) };
}

/** Health as the collector reads it on this machine (`conntrack -S` totals, sysctls). */
export function health(
  over: Partial<NetfilterHealth> = {},
  helperRules: NetfilterHealth['helperRules'] = [],
): NetfilterHealth {
  return {
    at: NOW - 1000,
    conntrackCount: 12,
    conntrackMax: 262_144,
    expectCount: 0,
    expectMax: 4096,
    stats: {
      found: 0,
      invalid: 0,
      insert: 0,
      insert_failed: 0,
      drop: 0,
      early_drop: 0,
      error: 0,
      search_restart: 0,
    },
    acct: false,
    timestamp: false,
    helperRules,
    ...over,
  };
}

/** The lab's vsftpd settings. */
export function settings(over: Partial<FtpServerSettings> = {}): FtpServerSettings {
  return {
    configPath: '/tmp/ftpscope-lab/t/ftp1/vsftpd.conf',
    listenPort: 21,
    ipv6: false,
    pasvEnabled: true,
    pasvMinPort: 40000,
    pasvMaxPort: 40100,
    pasvAddress: null,
    tls: false,
    portEnabled: true,
    ...over,
  };
}

/** Counter samples of one rule: one per second from `from`, `perSecond` packets each. */
export function samples(id: string, from: number, to: number, perSecond: number): CounterSample[] {
  const out: CounterSample[] = [];
  for (let at = from; at <= to; at += 1000) out.push({ at, ruleId: id, dPackets: perSecond });
  return out;
}

/** The NFLOG drop of a passive data SYN, as tcpdump reported it in the lab. */
export function drop(at: number, over: Partial<Drop> = {}): Drop {
  return {
    id: `drop-${at}`,
    at,
    group: 5,
    ruleId: null,
    prefix: 'policy drop',
    proto: 'tcp',
    src: CLIENT,
    dst: SERVER,
    sport: 52658,
    dport: 40091,
    flags: 'S',
    ...over,
  };
}

/** A host window with a recorded ruleset and defaults for everything else. */
export function hostWindow(rulesetName: string, over: Partial<HostWindow> = {}): HostWindow {
  const { rules, helperRules } = ruleset(rulesetName);
  return {
    host: 'ftp1',
    backends: ['iptables-nft', 'nftables'],
    sessions: [],
    expectations: [],
    dataConnections: [],
    rules,
    counterSamples: [],
    countersSince: T0 - 10 * 60_000,
    rulesetChanges: [],
    drops: [],
    health: [health({}, helperRules)],
    settings: settings(),
    firewall: null,
    gaps: [],
    privateNets: DEFAULT_PRIVATE_NETS,
    ...over,
  };
}
