/**
 * Parses `nft -a monitor trace` lines (nftables 1.0.x prints trace events as text only, `-j` is ignored):
 *
 *   trace id 48079276 inet firewalld filter_IN_public rule reject with icmpx admin-prohibited # handle 72 (verdict drop)
 *   trace id 89a7f9ce ip filter INPUT policy drop
 *   trace id 48079276 inet ftpscope learn_and_trace_in packet: iif "eth0" ... ip saddr A ip daddr B ... tcp sport 1 tcp dport 2 tcp flags == syn ...
 */

import { lines, ParseAccumulator, type ParseResult } from './parse-result.ts';

/** Where a trace event happened. */
export interface TraceWhere {
  id: string;
  /** nft family as printed: ip, ip6, inet, bridge, netdev, arp. */
  family: string;
  table: string;
  chain: string;
}

/** The packet a trace follows (from its `packet:` line). */
export interface TracePacket {
  src: string;
  dst: string;
  proto: string;
  sport: number | null;
  dport: number | null;
  flags: string | null;
}

/** One parsed trace line. */
export type TraceLine =
  | (TraceWhere & { type: 'packet'; packet: TracePacket })
  | (TraceWhere & { type: 'rule'; handle: number | null; text: string; verdict: string })
  | (TraceWhere & { type: 'policy'; verdict: string })
  | (TraceWhere & { type: 'verdict'; verdict: string });

const HEAD =
  /^trace id ([0-9a-f]+) (\S+) (\S+) (\S+) (packet:|rule|policy|verdict|unknown rule handle)\s?(.*)$/;

function field(text: string, re: RegExp): string | null {
  return re.exec(text)?.[1] ?? null;
}

function packetOf(text: string): TracePacket | null {
  const src = field(text, /\bip6? saddr (\S+)/);
  const dst = field(text, /\bip6? daddr (\S+)/);
  if (src === null || dst === null) return null;
  const proto =
    field(text, /\b(tcp|udp|sctp) (?:sport|dport)\b/) ??
    field(text, /\b(?:ip protocol|ip6 nexthdr) (\S+)/) ??
    '?';
  const num = (re: RegExp) => {
    const v = field(text, re);
    return v === null ? null : Number(v);
  };
  const flags = field(text, /\btcp flags == (\S+)/) ?? field(text, /\btcp flags == \{ ([^}]*) \}/);
  return {
    src,
    dst,
    proto,
    sport: num(/\b(?:tcp|udp|sctp) sport (\d+)/),
    dport: num(/\b(?:tcp|udp|sctp) dport (\d+)/),
    flags: flags === null ? null : shortFlags(flags),
  };
}

/** tcpdump-style flags ("S", "S.") like the NFLOG source reports them. */
function shortFlags(nft: string): string {
  const names = nft.split(/[\s,|]+/).filter(Boolean);
  const letters: Record<string, string> = { syn: 'S', fin: 'F', rst: 'R', psh: 'P', urg: 'U', ack: '.' };
  return names.map((n) => letters[n] ?? '').join('');
}

/** One `nft monitor trace` line, or null for anything else (headers, blank lines, unknown shapes). */
export function parseTraceLine(line: string): TraceLine | null {
  const m = HEAD.exec(line.trimEnd());
  if (!m) return null;
  const [, id, family, table, chain, kind, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const where = { id, family, table, chain };
  if (kind === 'packet:') {
    const packet = packetOf(rest);
    return packet ? { ...where, type: 'packet', packet } : null;
  }
  if (kind === 'policy') return { ...where, type: 'policy', verdict: rest.trim() };
  if (kind === 'verdict') return { ...where, type: 'verdict', verdict: rest.trim() };
  // `rule TEXT # handle N (verdict V)`; `unknown rule handle N (verdict V)` when the rule was deleted meanwhile.
  const verdict = /\(verdict ([^)]+)\)\s*$/.exec(rest)?.[1];
  if (verdict === undefined) return null;
  const handleText =
    kind === 'unknown rule handle' ? /^(\d+)/.exec(rest)?.[1] : /# handle (\d+) \(verdict/.exec(rest)?.[1];
  const text =
    kind === 'unknown rule handle' ? '' : rest.replace(/\s*(?:# handle \d+\s*)?\(verdict [^)]+\)\s*$/, '');
  return {
    ...where,
    type: 'rule',
    handle: handleText === undefined ? null : Number(handleText),
    text,
    verdict: verdict.trim(),
  };
}

/** Every line of a recorded `nft monitor trace` run (the source feeds lines one by one; tests and fuzzing use this). */
export function parseTraceLines(text: string): ParseResult<TraceLine> {
  const acc = new ParseAccumulator<TraceLine>();
  for (const l of lines(text)) {
    const t = parseTraceLine(l);
    if (t) acc.add(t);
    else acc.reject(l);
  }
  return acc.result();
}
