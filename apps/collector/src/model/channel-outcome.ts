import type { DataChannelAttempt } from '@ftpscope/shared';

/** Packets one drop/reject rule (or DROP policy) counted in one poll, with which way its chain looks. */
export interface CounterDrop {
  /** Poll time; the packets were counted in (from, at]. */
  at: number;
  from: number;
  ruleId: string;
  packets: number;
  direction: 'in' | 'out' | 'other';
  /** ipv4, ipv6, or null for rules of both (nftables inet). */
  family: 'ipv4' | 'ipv6' | null;
  verdict: 'drop' | 'reject';
}

/** The evidence an unsettled attempt has when it is time to decide. */
export interface SettleEvidence {
  mode: 'passive' | 'active';
  family: 'ipv4' | 'ipv6';
  askedAt: number;
  /** When the client moved on (session ended, next attempt, 425) or the wait ran out. */
  triggerAt: number;
  /** A data connection was seen in conntrack for it. */
  seen: boolean;
  /** It got a reply (SYN/ACK or RST). */
  answered: boolean;
  /** It reached ESTABLISHED. */
  connected: boolean;
  /** The server log reported a completed transfer for it. */
  logOk: boolean;
  /** The server refused the PASV/PORT command itself (code), if it did. */
  commandFailed: number | null;
  countersAvailable: boolean;
  /** Drop/reject counters of the host since shortly before the attempt. */
  counters: CounterDrop[];
  /** Whether events were lost (a gap) while the attempt was open. */
  lostEvents: boolean;
  /** "198.18.0.1:40012" for the sentences. */
  where: string;
}

type Decision = Pick<DataChannelAttempt, 'outcome' | 'reason' | 'ruleId' | 'dropSource' | 'tiedBy'>;

/**
 * Decides the outcome of an attempt that neither connected nor was seen dropped by NFLOG, from what was
 * seen by the time the client moved on. Counters only say that some packet died on a rule in that time,
 * not whose: such a drop is tied by time only, and the UI says so.
 */
export function settle(e: SettleEvidence): Decision {
  const none = { ruleId: null, dropSource: null, tiedBy: null } as const;
  if (e.connected) return { ...none, outcome: 'ok', reason: null };
  if (e.commandFailed !== null)
    return {
      ...none,
      outcome: 'unknown',
      reason: `the server refused the ${e.mode === 'passive' ? 'PASV' : 'PORT'} command (${e.commandFailed}): no data channel was offered`,
    };
  if (e.seen && e.answered)
    return { ...none, outcome: 'refused', reason: `the connection to ${e.where} was answered with a reset` };
  if (e.lostEvents)
    return { ...none, outcome: 'unknown', reason: 'conntrack events were lost while this attempt was open' };
  if (e.logOk && !e.seen)
    return {
      ...none,
      outcome: 'ok',
      reason: 'the server log says the transfer completed; conntrack did not show its data connection',
    };
  const want = e.mode === 'passive' ? 'in' : 'out';
  const byRule = new Map<string, { packets: number; verdict: 'drop' | 'reject' }>();
  for (const c of e.counters) {
    if (c.direction !== want || (c.family !== null && c.family !== e.family)) continue;
    if (c.at <= e.askedAt || c.from >= e.triggerAt) continue;
    const cur = byRule.get(c.ruleId) ?? { packets: 0, verdict: c.verdict };
    cur.packets += c.packets;
    byRule.set(c.ruleId, cur);
  }
  const top = [...byRule].sort((a, b) => b[1].packets - a[1].packets)[0];
  if (top && !(e.seen && e.mode === 'passive')) {
    const [ruleId, { packets, verdict }] = top;
    return {
      outcome: verdict === 'reject' ? 'refused' : 'dropped',
      ruleId,
      dropSource: 'counters',
      tiedBy: 'time',
      reason: `${packets} packet${packets === 1 ? '' : 's'} ${verdict === 'reject' ? 'rejected' : 'dropped'} by this rule while the client tried ${e.where} (rule counters name no address: tied by time)`,
    };
  }
  if (e.seen)
    return {
      ...none,
      outcome: 'timed-out',
      reason:
        e.mode === 'passive'
          ? `the client's connection to ${e.where} got no answer and no rule here dropped it`
          : `the server's connection to ${e.where} got no answer: a firewall at the client or on the way drops it`,
    };
  if (!e.countersAvailable)
    return {
      ...none,
      outcome: 'unknown',
      reason:
        'no data connection was seen and rule counters are not readable here, so a drop cannot be told from a connection that never came',
    };
  return {
    ...none,
    outcome: 'unused',
    reason:
      e.mode === 'passive'
        ? `the server offered ${e.where}, but no connection to it reached this host`
        : `the client offered ${e.where}, but the server never connected to it`,
  };
}
