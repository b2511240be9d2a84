/**
 * Addresses and names of a lab, all derived from its name and its index n (1..250):
 * FTP LAN 198.18.n.0/24 (host i = .10+i, client = .100), management link of host i = 198.19.n.4i/30
 * (root side .4i+1, host side .4i+2), IPv6 LAN 2001:2:0:n::/64 (RFC 5180 benchmarking range).
 */

/** Most hosts a lab can have (the management /30s of one /24 run out at 63). */
export const MAX_HOSTS = 50;
/** Highest lab index; one index per running lab on the machine. */
export const MAX_INDEX = 250;

/** Namespace names: hosts, the client and the bridge get their own. */
export const netnsName = (lab: string, who: string): string => `fs-${lab}-${who}`;
/** Prefix every namespace of a lab starts with (lab names are [a-z0-9], so no lab's prefix matches another's). */
export const netnsPrefix = (lab: string): string => `fs-${lab}-`;
/** Root-namespace end of host i's management veth (≤ 15 chars: lab ≤ 8, i ≤ 99). */
export const mgmtLinkName = (lab: string, i: number): string => `fs-${lab}-m${i}`;
/** Host names are ftp1..ftpN. */
export const hostName = (i: number): string => `ftp${i}`;

export const lanNet = (n: number): string => `198.18.${n}.0/24`;
export const lanNet6 = (n: number): string => `2001:2:0:${n}::/64`;
export const hostIp = (n: number, i: number): string => `198.18.${n}.${10 + i}`;
export const hostIp6 = (n: number, i: number): string => `2001:2:0:${n}::${10 + i}`;
export const clientIp = (n: number): string => `198.18.${n}.100`;
export const clientIp6 = (n: number): string => `2001:2:0:${n}::100`;
export const mgmtGatewayIp = (n: number, i: number): string => `198.19.${n}.${4 * i + 1}`;
export const mgmtHostIp = (n: number, i: number): string => `198.19.${n}.${4 * i + 2}`;
/** Each host gets its own passive range so transfers of different hosts are told apart by port too. */
export const passiveRange = (i: number): [number, number] => [40000 + 100 * i, 40000 + 100 * i + 99];

/** True when an `ip -o addr` listing already holds an address of index n (someone else uses it). */
export function indexInUse(ipAddrOutput: string, n: number): boolean {
  return ipAddrOutput.includes(`198.18.${n}.`) || ipAddrOutput.includes(`198.19.${n}.`);
}

/** Most hosts a NAT lab can have (their router links use 198.19.n.208-255, above the management links). */
export const MAX_NAT_HOSTS = 12;
/** Behind NAT, host i's own address on its /30 link to the router (the router's side is insideGatewayIp). */
export const insideIp = (n: number, i: number): string => `198.19.${n}.${208 + 4 * (i - 1) + 2}`;
export const insideGatewayIp = (n: number, i: number): string => `198.19.${n}.${208 + 4 * (i - 1) + 1}`;

/**
 * Browser workstations (workstation.ts) use 198.19.251.0/24, above every lab index: workstation k's /30 has
 * the root side .4k+1 and the workstation .4k+2.
 */
export const workstationRootIp = (k: number): string => `198.19.251.${4 * k + 1}`;
export const workstationIp = (k: number): string => `198.19.251.${4 * k + 2}`;
/** Workstation k's namespace, and its link's root-namespace end, share this name (no `fs-` prefix: lab cleanup never takes them). */
export const workstationName = (k: number): string => `fsws${k}`;
