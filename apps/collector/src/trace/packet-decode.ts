/** TCP flags the trace looks at. */
export interface TcpFlags {
  syn: boolean;
  ack: boolean;
  rst: boolean;
  fin: boolean;
}

/** The addresses and ports of the packet an ICMP error is about. */
export interface IcmpAbout {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

/** One captured IPv4/IPv6 packet, decoded as far as the trace needs. */
export interface Packet {
  /** Capture time, epoch ms. */
  at: number;
  src: string;
  dst: string;
  proto: 'tcp' | 'icmp' | 'other';
  sport: number;
  dport: number;
  flags: TcpFlags;
  seq: number;
  /** Where the TCP payload starts in the captured bytes, its captured length and its length on the wire. */
  payloadOffset: number;
  payloadCaptured: number;
  payloadLength: number;
  /** ICMP destination unreachable (or IPv6 equivalent): the TCP packet it answers. */
  unreachable: IcmpAbout | null;
}

const NO_FLAGS: TcpFlags = { syn: false, ack: false, rst: false, fin: false };

/** Offset of the IP header for the capture's link type; null when the frame carries no IP. */
function ipOffset(linkType: number, d: Buffer): number | null {
  switch (linkType) {
    case 276: // LINUX_SLL2 (tcpdump -i any on libpcap >= 1.10): protocol at 0, 20-byte header
      return d.length >= 20 && isIpType(d.readUInt16BE(0)) ? 20 : null;
    case 113: // LINUX_SLL: protocol at 14, 16-byte header
      return d.length >= 16 && isIpType(d.readUInt16BE(14)) ? 16 : null;
    case 1: {
      // Ethernet, with at most one 802.1Q tag
      if (d.length < 14) return null;
      let type = d.readUInt16BE(12);
      let off = 14;
      if (type === 0x8100 && d.length >= 18) {
        type = d.readUInt16BE(16);
        off = 18;
      }
      return isIpType(type) ? off : null;
    }
    case 12:
    case 101:
    case 228:
    case 229:
      return 0;
    default:
      return null;
  }
}

function isIpType(t: number): boolean {
  return t === 0x0800 || t === 0x86dd;
}

/** RFC 5952 text of an IPv6 address (lowercase, longest zero run as ::), as conntrack and the hub print it. */
export function ipv6Text(b: Buffer, at: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(b.readUInt16BE(at + i * 2));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

function ipv4Text(b: Buffer, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

interface IpLayer {
  src: string;
  dst: string;
  next: number;
  /** Start of the transport header and the transport length on the wire. */
  off: number;
  length: number;
}

function ipLayer(d: Buffer, off: number): IpLayer | null {
  if (d.length < off + 20) return null;
  const version = (d[off] as number) >> 4;
  if (version === 4) {
    const ihl = ((d[off] as number) & 0x0f) * 4;
    const total = d.readUInt16BE(off + 2);
    // A later fragment carries no transport header.
    if ((d.readUInt16BE(off + 6) & 0x1fff) !== 0) return null;
    return {
      src: ipv4Text(d, off + 12),
      dst: ipv4Text(d, off + 16),
      next: d[off + 9] as number,
      off: off + ihl,
      length: total - ihl,
    };
  }
  if (version === 6 && d.length >= off + 40) {
    let next = d[off + 6] as number;
    let at = off + 40;
    let length = d.readUInt16BE(off + 4);
    // Hop-by-hop, routing and destination options: skip to the transport header.
    while ((next === 0 || next === 43 || next === 60) && d.length >= at + 8) {
      const len = ((d[at + 1] as number) + 1) * 8;
      next = d[at] as number;
      at += len;
      length -= len;
    }
    return { src: ipv6Text(d, off + 8), dst: ipv6Text(d, off + 24), next, off: at, length };
  }
  return null;
}

/** The TCP ports inside an ICMP error's quoted packet. */
function quoted(d: Buffer, off: number): IcmpAbout | null {
  const ip = ipLayer(d, off);
  if (ip?.next !== 6 || d.length < ip.off + 4) return null;
  return { src: ip.src, dst: ip.dst, sport: d.readUInt16BE(ip.off), dport: d.readUInt16BE(ip.off + 2) };
}

/** Decodes one captured frame; null for frames that are not IPv4/IPv6 or are cut before their headers. */
export function decodePacket(linkType: number, tsUs: number, d: Buffer): Packet | null {
  const l2 = ipOffset(linkType, d);
  if (l2 === null) return null;
  const ip = ipLayer(d, l2);
  if (!ip) return null;
  const base = {
    at: Math.floor(tsUs / 1000),
    src: ip.src,
    dst: ip.dst,
    sport: 0,
    dport: 0,
    flags: NO_FLAGS,
    seq: 0,
    payloadOffset: d.length,
    payloadCaptured: 0,
    payloadLength: 0,
    unreachable: null,
  };
  if (ip.next === 6 && d.length >= ip.off + 20) {
    const f = d[ip.off + 13] as number;
    const dataOff = ip.off + ((d[ip.off + 12] as number) >> 4) * 4;
    const tcpHeader = dataOff - ip.off;
    return {
      ...base,
      proto: 'tcp',
      sport: d.readUInt16BE(ip.off),
      dport: d.readUInt16BE(ip.off + 2),
      seq: d.readUInt32BE(ip.off + 4),
      flags: { fin: (f & 0x01) !== 0, syn: (f & 0x02) !== 0, rst: (f & 0x04) !== 0, ack: (f & 0x10) !== 0 },
      payloadOffset: dataOff,
      payloadCaptured: Math.max(0, Math.min(d.length - dataOff, ip.length - tcpHeader)),
      payloadLength: Math.max(0, ip.length - tcpHeader),
    };
  }
  if ((ip.next === 1 || ip.next === 58) && d.length >= ip.off + 8) {
    const type = d[ip.off] as number;
    // ICMP destination unreachable (3) / ICMPv6 destination unreachable (1): a REJECT or a closed path.
    const unreachable = (ip.next === 1 && type === 3) || (ip.next === 58 && type === 1);
    return { ...base, proto: 'icmp', unreachable: unreachable ? quoted(d, ip.off + 8) : null };
  }
  return { ...base, proto: 'other' };
}
