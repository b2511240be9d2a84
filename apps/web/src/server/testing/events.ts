import type { Batch, CollectorEvent, Expectation, FtpSession, Hello, RuleDef } from '@ftpscope/shared';
import { PROTOCOL_VERSION } from '@ftpscope/shared';

/**
 * Protocol events shaped like what the collector reports for the lab (198.18.0.0/15 addresses, vsftpd on 21,
 * passive range 30000-30100, iptables-nft rules of the `healthy` / `hardened-no-helper` profiles).
 */
export const CLIENT_IP = '198.18.0.100';
export const SERVER_IP = '198.18.1.1';

/** A hello for a host. */
export function hello(host: string, streamId = 'stream-0001', lastSeq = 0): Hello {
  return {
    type: 'hello',
    protocolVersion: PROTOCOL_VERSION,
    host,
    collectorVersion: '0.1.0',
    kernel: '6.1.0-test',
    backends: ['iptables-nft'],
    capabilities: ['conntrack-events', 'expectations', 'rules'],
    streamId,
    lastSeq,
  };
}

/** A batch with the given sequence and events. */
export function batch(seq: number, events: CollectorEvent[], sentAt = Date.now()): Batch {
  return { type: 'batch', seq, sentAt, events };
}

/** A passive control session. */
export function session(id: string, startedAt: number, over: Partial<FtpSession> = {}): CollectorEvent {
  return {
    kind: 'session',
    session: {
      id,
      family: 'ipv4',
      client: { ip: CLIENT_IP, port: 40000 + (Number(id.replace(/\D/g, '')) % 20000) },
      server: { ip: SERVER_IP, port: 21 },
      state: 'ESTABLISHED',
      helper: 'ftp',
      user: 'ftp',
      mode: 'passive',
      tls: false,
      startedAt,
      endedAt: null,
      ...over,
    },
  };
}

/** The FTP helper's expectation for a passive data channel of a session. */
export function expectation(
  id: string,
  sessionId: string,
  createdAt: number,
  over: Partial<Expectation> = {},
): CollectorEvent {
  return {
    kind: 'expectation',
    expectation: {
      id,
      sessionId,
      family: 'ipv4',
      src: CLIENT_IP,
      dst: SERVER_IP,
      port: 30042,
      mode: 'passive',
      createdAt,
      timeout: 300,
      fulfilledAt: null,
      expiredAt: null,
      ...over,
    },
  };
}

/** A passive data connection of a session. */
export function data(id: string, sessionId: string, startedAt: number, established = true): CollectorEvent {
  return {
    kind: 'data',
    data: {
      id,
      sessionId,
      expectationId: established ? `x${sessionId}` : null,
      attribution: 'expectation',
      mode: 'passive',
      clientPort: 45001,
      serverPort: 30042,
      state: established ? 'TIME_WAIT' : 'SYN_SENT',
      established,
      related: established,
      startedAt,
      endedAt: startedAt + 50,
      bytes: established ? 1_048_576 : null,
    },
  };
}

/** INPUT chain of the hardened profile: policy DROP plus the rules around it. */
export function rules(): RuleDef[] {
  const base = {
    backend: 'iptables-nft' as const,
    family: 'ipv4',
    table: 'filter',
    chain: 'INPUT',
    comment: null,
  };
  return [
    {
      ...base,
      id: 'ipv4/filter/INPUT/policy',
      position: 0,
      text: ':INPUT DROP',
      verdict: 'drop',
      isPolicy: true,
    },
    {
      ...base,
      id: 'ipv4/filter/INPUT/-i lo -j ACCEPT/1',
      position: 1,
      text: '-A INPUT -i lo -j ACCEPT',
      verdict: 'accept',
      isPolicy: false,
    },
    {
      ...base,
      id: 'ipv4/filter/INPUT/-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT/1',
      position: 2,
      text: '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      verdict: 'accept',
      isPolicy: false,
    },
    {
      ...base,
      id: 'ipv4/filter/INPUT/-p tcp -m tcp --dport 21 -m conntrack --ctstate NEW -j ACCEPT/1',
      position: 3,
      text: '-A INPUT -p tcp -m tcp --dport 21 -m conntrack --ctstate NEW -j ACCEPT',
      verdict: 'accept',
      isPolicy: false,
    },
  ];
}

export const POLICY_ID = 'ipv4/filter/INPUT/policy';

/** One counters poll where the INPUT policy dropped `drops` packets. */
export function counters(at: number, totals: number, drops: number): CollectorEvent {
  return {
    kind: 'counters',
    at,
    intervalMs: 1000,
    counters: [
      { ruleId: POLICY_ID, packets: totals, bytes: totals * 60, dPackets: drops, dBytes: drops * 60 },
    ],
  };
}
