import { int, lines, ParseAccumulator, type ParseResult } from './parse-result.ts';

/** A packet line from `tcpdump -i nflog:N -nn -l -tt`. */
export interface NflogPacket {
  at: number;
  proto: string;
  src: string;
  dst: string;
  sport: number | null;
  dport: number | null;
  flags: string | null;
}

/** tcpdump prints "addr.port" for TCP/UDP; IPv6 addresses contain ':' so the port is after the last '.'. */
function splitEndpoint(text: string, hasPorts: boolean): [string, number | null] {
  if (!hasPorts) return [text, null];
  const dot = text.lastIndexOf('.');
  const port = dot > 0 ? int(text.slice(dot + 1)) : null;
  return port === null ? [text, null] : [text.slice(0, dot), port];
}

const LINE = /^(\d+)\.(\d+) (IP6?) (\S+) > (\S+?): (.*)$/;
const NOISE =
  /^(tcpdump: verbose output suppressed|listening on |\d+ packets? (captured|received by filter|dropped by kernel))/;

/** Parses one tcpdump packet line (IPv4 or IPv6); null for anything else. */
export function parseNflogLine(line: string): NflogPacket | null {
  const m = LINE.exec(line.trim());
  if (!m) return null;
  const [, sec, frac, ip, srcText, dstText, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const flags = /^Flags \[([^\]]{1,16})\]/.exec(rest);
  let proto: string;
  if (flags) proto = 'tcp';
  else if (/^ICMP/.test(rest)) proto = ip === 'IP6' ? 'icmpv6' : 'icmp';
  // tcpdump decodes UDP payloads by port (DNS, NTP...), so any other line with ports on both ends is UDP.
  else if (/\.\d+$/.test(srcText) && /\.\d+$/.test(dstText)) proto = 'udp';
  else proto = 'other';
  const hasPorts = proto === 'tcp' || proto === 'udp';
  const [src, sport] = splitEndpoint(srcText, hasPorts);
  const [dst, dport] = splitEndpoint(dstText, hasPorts);
  return {
    at: Number(sec) * 1000 + Math.floor(Number(`0.${frac}`) * 1000),
    proto,
    src,
    dst,
    sport,
    dport,
    flags: flags ? (flags[1] as string) : null,
  };
}

/** True for tcpdump's own status lines on stderr/stdout, which are not packets and not unknown. */
export function isTcpdumpNoise(line: string): boolean {
  return NOISE.test(line.trim());
}

/** Parses tcpdump NFLOG output. */
export function parseNflog(text: string): ParseResult<NflogPacket> {
  const acc = new ParseAccumulator<NflogPacket>();
  for (const line of lines(text)) {
    if (isTcpdumpNoise(line)) continue;
    const p = parseNflogLine(line);
    if (p) acc.add(p);
    else acc.reject(line);
  }
  return acc.result();
}
