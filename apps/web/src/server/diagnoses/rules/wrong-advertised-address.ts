import type { DataChannelAttempt, Family, FtpSession } from '@ftpscope/shared';
import { fixed, fixWriter } from '../fixes/index.ts';
import { serverAdvice } from '../ftp-server-advice.ts';
import { isPrivate } from '../private-nets.ts';
import { MAX_EVIDENCE_PER_TYPE } from '../thresholds.ts';
import type { DiagnosisRule, Evidence, HostWindow } from '../types.ts';
import { plural, recentFrom } from './activity.ts';
import { passiveRangeOpened } from './data-channel.ts';
import { formatRange, inboundFilter, isDropRule, type PortRange } from './firewall.ts';

/** Whether a client cannot reach this advertised address: a private one, and the client is not in a private network. */
export function unreachableFor(w: HostWindow, client: string, address: string): boolean {
  return isPrivate(w.privateNets, address) && !isPrivate(w.privateNets, client);
}

/** A passive attempt with the session it belongs to, and what is wrong with its address (null: nothing known). */
interface Offer {
  session: FtpSession;
  attempt: DataChannelAttempt;
  /** private: a private address to a client outside the private networks; other: not the address the client connected to. */
  why: 'private' | 'other' | null;
}

/** Outcomes that say the client's connection never reached this host. */
const NEVER_ARRIVED = new Set(['unused']);
/** Written in the fix when no session showed the address clients connect to (HOST); the operator fills it in. */
export const PUBLIC_ADDRESS_PLACEHOLDER = 'PUBLIC_ADDRESS';

/**
 * Settled passive attempts of the last minute, oldest first, with what can be judged of their address: a
 * private one offered to a client outside the private networks, or one that differs from the address the
 * session's control connection reached (a NAT in front rewrote it: fine when the data connection came, wrong
 * when it never does). An attempt whose address no log line showed counts too: when it worked, data
 * connections come through again.
 */
function settledOffers(w: HostWindow, now: number): Offer[] {
  const from = recentFrom(now);
  const out: Offer[] = [];
  for (const session of w.sessions) {
    for (const attempt of session.attempts ?? []) {
      if (attempt.mode !== 'passive' || attempt.settledAt === null || attempt.outcome === 'pending') continue;
      if (attempt.settledAt < from) continue;
      const a = attempt.address;
      const why =
        a === null
          ? null
          : unreachableFor(w, session.client.ip, a)
            ? 'private'
            : a !== session.server.ip && !isPrivate(w.privateNets, a)
              ? 'other'
              : null;
      out.push({ session, attempt, why });
    }
  }
  return out.sort((a, b) => (a.attempt.settledAt as number) - (b.attempt.settledAt as number));
}

/** The address clients connected to, when a session's HOST command named one (an IP literal, not this host's own). */
function connectedAddress(w: HostWindow, offers: Offer[]): string | null {
  for (const o of [...offers].reverse()) {
    const h = o.session.requestedHost;
    if (h && /^[\d.]+$|:/.test(h) && h !== o.session.server.ip && !isPrivate(w.privateNets, h)) return h;
  }
  return null;
}

/**
 * The FTP server advertises, in its PASV replies, an address its clients cannot reach: its own private
 * address to clients outside (behind a NAT without an FTP helper, a cloud instance, a container), or an
 * address other than the one clients connect to, whose data connections then never arrive. Decided on the
 * latest settled passive attempt, so it resolves as soon as data connections come through again.
 */
export const wrongAdvertisedAddress: DiagnosisRule = (w, now) => {
  const offers = settledOffers(w, now);
  // Clients inside the private networks reach a private address: only the others decide.
  const outside = offers.filter((o) => !isPrivate(w.privateNets, o.session.client.ip));
  const latest = (outside.length > 0 ? outside : offers).at(-1);
  if (!latest || latest.why === null || !NEVER_ARRIVED.has(latest.attempt.outcome)) return [];
  const failed = offers.filter((o) => o.why === latest.why && NEVER_ARRIVED.has(o.attempt.outcome));
  // Another address than the control connection's is normal behind NAT; one unused offer could be a client quitting.
  if (latest.why === 'other' && failed.length < 2) return [];
  const s = w.settings;
  const advice = serverAdvice(s);
  const advertised = latest.attempt.address as string;
  const families = [...new Set(failed.map((o) => o.session.family))] as Family[];
  const range: [number, number] | null =
    s && s.pasvMinPort !== null && s.pasvMaxPort !== null ? [s.pasvMinPort, s.pasvMaxPort] : null;
  const publicAddress = connectedAddress(w, failed);
  const target = publicAddress ?? PUBLIC_ADDRESS_PLACEHOLDER;
  const clients = [...new Set(failed.map((o) => o.session.client.ip))].slice(0, 3).join(', ');
  const ports = [...new Set(failed.map((o) => o.attempt.port))].slice(0, 5).join(', ');
  // Behind NAT the host's own helper ignores a PASV reply whose address is not the control connection's
  // (no expectation): the data connections then arrive as NEW and the passive range must be open here.
  const closed = families.filter(
    (f) => !passiveRangeOpened(w, f) && inboundFilter(w.rules, f).some(isDropRule),
  );
  const explanation = [
    latest.why === 'private'
      ? `The FTP server (${advice.name}) tells clients to open their data connections to ${advertised}, a private address, but ${plural(failed.length, 'passive data channel')} in the last minute came from clients outside the private networks (${clients}), and none of those connections reached this host.`
      : `The FTP server (${advice.name}) tells clients to open their data connections to ${advertised}, not the address their control connection reached (${latest.session.server.ip}), and ${plural(failed.length, 'passive data channel')} from ${clients} never arrived.`,
    latest.why === 'private'
      ? 'This is the classic server behind NAT without an FTP-aware gateway: the NAT forwards the control port, but the PASV reply still carries the inside address, which clients cannot reach.'
      : 'Either that address is not where clients can reach this server, or the NAT/firewall in front does not forward the passive ports to it.',
    `Make the server advertise the address clients connect to (${advice.terms.advertisedAddress}${publicAddress ? `: they connected to ${publicAddress}` : ''}).`,
    closed.length > 0
      ? `Once it does, the kernel's FTP helper on this host no longer recognises the replies (their address is not the control connection's) and creates no expectation, so the passive range${range ? ` ${formatRange(range)}` : ''} must be opened here too.`
      : '',
    range ? `The NAT in front must forward tcp ${formatRange(range)} to this host (a 1:1 NAT does).` : '',
    `Data channels tried: ports ${ports}.`,
  ]
    .filter(Boolean)
    .join(' ');
  // The server's own setting first, then (when the range is closed here) the firewall in the manager's terms.
  const before: string[] = [];
  if (!publicAddress)
    before.push(
      `# replace ${PUBLIC_ADDRESS_PLACEHOLDER} with the address clients connect to (the NAT's or load balancer's public one)`,
    );
  if (latest.why === 'other')
    before.push(`# if ${advertised} is not where clients reach this server, advertise the right address:`);
  if (s) before.push(...advice.advertiseAddress(s.configPath, target));
  else before.push(`# set the FTP server's ${advice.terms.advertisedAddress} to ${target}`);
  const after = [
    ...(range ? [`# the NAT/firewall in front must forward tcp ${formatRange(range)} to this host`] : []),
    advice.restart,
  ];
  let openRange: PortRange | null = null;
  if (closed.length > 0) {
    if (range) openRange = range;
    else if (s) {
      before.push('# the server has no passive range: give it one, then open it here');
      before.push(...advice.passiveRange(s.configPath, [40000, 40100]));
      openRange = [40000, 40100];
    }
  }
  const fix = openRange
    ? fixed(fixWriter(w).openRange(w, closed, openRange), before, after)
    : { fix: [...before, ...after] };
  const evidence: Evidence[] = [
    ...failed.slice(-MAX_EVIDENCE_PER_TYPE).map((o) => ({
      type: 'session' as const,
      id: o.session.id,
      label: `${o.session.client.ip}:${o.session.client.port} → ${o.session.server.ip}:${o.session.server.port}: ${o.attempt.command ?? 'passive'} offered ${advertised}:${o.attempt.port ?? '?'}, ${o.attempt.outcome === 'unused' ? 'never used' : o.attempt.outcome}`,
    })),
    ...(s
      ? [
          {
            type: 'settings' as const,
            id: s.configPath,
            label: `${s.configPath}: ${advice.terms.advertisedAddress} ${s.pasvAddress ?? '(unset)'}${range ? `, passive ports ${formatRange(range)}` : ''}`,
          },
        ]
      : []),
  ];
  return [
    {
      kind: 'wrong-advertised-address',
      severity: 'critical',
      title: `The FTP server advertises ${advertised} for passive data, which its clients cannot reach`,
      explanation,
      evidence,
      ...fix,
    },
  ];
};
