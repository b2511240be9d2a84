import type { Backend, Verdict } from '@ftpscope/shared';

/** A firewall rule or chain policy with its counters, as read from iptables-save or nft, before it gets an id. */
export interface RuleRecord {
  backend: Backend;
  /** ipv4/ipv6 for iptables; nft family names otherwise (inet, bridge, arp, netdev), ip/ip6 mapped to ipv4/ipv6. */
  family: string;
  table: string;
  chain: string;
  /** 1-based position in its chain; 0 for the chain policy. */
  position: number;
  /** Normalised rule text (iptables-save line without counters; nft rule rendered without counters). */
  text: string;
  verdict: Verdict;
  isPolicy: boolean;
  comment: string | null;
  /** null when the backend keeps no counter for it (nft rules without `counter`, nft chain policies). */
  packets: number | null;
  bytes: number | null;
  /** NFLOG group the rule logs to, and its prefix. */
  nflogGroup: number | null;
  nflogPrefix: string | null;
  /** The conntrack helper this rule assigns (raw CT --helper, nft ct helper), and the ports it matches. */
  helper: { name: string; ports: number[] } | null;
  /** nf_tables rule handle (native nftables rules), so a trace naming the handle finds the rule. */
  handle?: number;
}
