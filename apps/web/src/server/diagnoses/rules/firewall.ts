import type { Family, RuleDef } from '@ftpscope/shared';

/**
 * Reading rule text as the collector reports it: iptables-save lines (`-A INPUT ... -j ACCEPT`)
 * and nftables rules as `nft list ruleset` prints them (`tcp dport 21 ct state new accept`).
 */

/** Which way the packets of a chain go, judged by the chain name (INPUT, input, ufw-before-output...). */
export function direction(rule: RuleDef): 'in' | 'out' | 'forward' {
  const chain = rule.chain.toLowerCase();
  if (chain.includes('output') || chain.includes('postrouting')) return 'out';
  if (chain.includes('forward')) return 'forward';
  return 'in';
}

/** Whether a rule (or policy) can match packets of this address family. */
export function coversFamily(ruleFamily: string, family: Family): boolean {
  const f = ruleFamily.toLowerCase();
  if (f === 'inet' || f === '') return true;
  if (family === 'ipv4') return f === 'ipv4' || f === 'ip' || f === 'inet4' || f === '4';
  return f === 'ipv6' || f === 'ip6' || f === 'inet6' || f === '6';
}

/** A rule that throws the packet away: drop/reject verdicts and DROP policies. */
export function isDropRule(rule: RuleDef): boolean {
  return rule.verdict === 'drop' || rule.verdict === 'reject';
}

/** Only filter-type chains matter for data channels (raw/mangle/nat drops are rare and exotic). */
function isFilterRule(rule: RuleDef): boolean {
  return rule.backend === 'nftables' || rule.table === 'filter';
}

/** Rules in the path of packets coming in (passive data SYNs) for one family. */
export function inboundFilter(rules: RuleDef[], family: Family): RuleDef[] {
  return rules.filter((r) => isFilterRule(r) && direction(r) === 'in' && coversFamily(r.family, family));
}

/** Rules in the path of packets going out (active-mode data SYNs from port 20) for one family. */
export function outboundFilter(rules: RuleDef[], family: Family): RuleDef[] {
  return rules.filter((r) => isFilterRule(r) && direction(r) === 'out' && coversFamily(r.family, family));
}

const NEGATED_STATE = /!\s*--(?:ct)?state\b/i;
const XT_STATE = /--(?:ct)?state\s+(\S+)/i;
const NFT_STATE = /\bct\s+state\s+(?:\{\s*([^}]*)\}|(\S+))/i;

/** The conntrack states a rule matches (upper case), or null when it does not match on state. */
export function matchedStates(text: string): Set<string> | null {
  if (NEGATED_STATE.test(text) || /\bct\s+state\s+!=/i.test(text)) return null;
  const xt = XT_STATE.exec(text);
  const nft = NFT_STATE.exec(text);
  const list = xt?.[1] ?? nft?.[1] ?? nft?.[2];
  if (list === undefined) return null;
  return new Set(
    list
      .split(/[\s,]+/)
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean),
  );
}

/** Whether an accept rule lets RELATED packets (the helper's data connections) through. */
export function acceptsRelated(rule: RuleDef): boolean {
  if (rule.verdict !== 'accept' || rule.isPolicy) return false;
  const states = matchedStates(rule.text);
  if (!states?.has('RELATED')) return false;
  // A RELATED rule limited to another protocol (e.g. icmp) does not help FTP data.
  return !/(?:-p|meta l4proto|ip protocol)\s+(?:udp|icmp|icmpv6|ipv6-icmp)\b/i.test(rule.text);
}

/** Inclusive port range. */
export type PortRange = [number, number];

const XT_DPORT = /--dports?\s+(\S+)/i;
const NFT_DPORT = /\b(?:tcp|th)\s+dport\s+(?:\{\s*([^}]*)\}|(\S+))/i;

/** Destination ports a rule matches, or null when it matches any port (or none can be read). */
export function destinationPorts(text: string): PortRange[] | null {
  if (/!\s*--dports?\b|dport\s+!=/i.test(text)) return null;
  const xt = XT_DPORT.exec(text);
  if (xt?.[1]) return parsePortList(xt[1], ':');
  const nft = NFT_DPORT.exec(text);
  const list = nft?.[1] ?? nft?.[2];
  if (list) return parsePortList(list, '-');
  return null;
}

function parsePortList(list: string, rangeSep: string): PortRange[] | null {
  const out: PortRange[] = [];
  for (const part of list.split(/[\s,]+/).filter(Boolean)) {
    const [a, b] = part.split(rangeSep);
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > 65535 || lo > hi) return null;
    out.push([lo, hi]);
  }
  return out.length > 0 ? out : null;
}

/**
 * Port ranges an inbound accept rule opens for new TCP connections to unprivileged ports:
 * what an operator writes to open a passive range without relying on the helper.
 */
export function explicitlyOpenedRanges(rules: RuleDef[]): Array<{ rule: RuleDef; ranges: PortRange[] }> {
  const out: Array<{ rule: RuleDef; ranges: PortRange[] }> = [];
  for (const rule of rules) {
    if (rule.verdict !== 'accept' || rule.isPolicy) continue;
    if (/\budp\b/i.test(rule.text) && !/\btcp\b/i.test(rule.text)) continue;
    const states = matchedStates(rule.text);
    if (states && !states.has('NEW')) continue;
    const ranges = destinationPorts(rule.text)?.filter(([lo]) => lo >= 1024);
    if (ranges && ranges.length > 0) out.push({ rule, ranges });
  }
  return out;
}

/** Ports of [lo, hi] that none of the ranges cover, as ranges. */
export function uncovered(lo: number, hi: number, ranges: PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const gaps: PortRange[] = [];
  let next = lo;
  for (const [a, b] of sorted) {
    if (b < next) continue;
    if (a > hi) break;
    if (a > next) gaps.push([next, Math.min(a - 1, hi)]);
    next = Math.max(next, b + 1);
    if (next > hi) break;
  }
  if (next <= hi) gaps.push([next, hi]);
  return gaps;
}

/** "40000-40100" or "21". */
export function formatRange([lo, hi]: PortRange): string {
  return lo === hi ? String(lo) : `${lo}-${hi}`;
}

/** A short human label for a rule: "INPUT policy DROP (ipv4 filter)" or its text. */
export function ruleLabel(rule: RuleDef): string {
  const where = `${rule.family} ${rule.table}`;
  if (rule.isPolicy) return `${rule.chain} policy ${rule.verdict.toUpperCase()} (${where})`;
  const text = rule.text.length > 160 ? `${rule.text.slice(0, 157)}...` : rule.text;
  return `${rule.chain} #${rule.position}: ${text} (${where})`;
}
