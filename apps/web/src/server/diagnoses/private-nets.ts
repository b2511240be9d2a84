import { BlockList, isIP } from 'node:net';

/**
 * Networks whose addresses clients elsewhere cannot reach: RFC 1918, CGNAT (RFC 6598), loopback, link-local
 * (IPv4 and IPv6) and unique local IPv6 (RFC 4193). `--private-nets` replaces the list (the lab adds its
 * "inside" range, since labs use 198.18.0.0/15 only).
 */
export const DEFAULT_PRIVATE_NETS: readonly string[] = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '::1/128',
  'fe80::/10',
  'fc00::/7',
];

/** Checks a CIDR list; returns the first bad entry with why, or null when all are good. */
export function invalidCidr(list: readonly string[]): string | null {
  for (const c of list) {
    const [addr = '', bits, extra] = c.split('/');
    const v = isIP(addr);
    const n = Number(bits);
    if (
      v === 0 ||
      extra !== undefined ||
      bits === undefined ||
      !Number.isInteger(n) ||
      n < 0 ||
      n > (v === 4 ? 32 : 128)
    )
      return `"${c}" is not a network (ADDRESS/BITS, e.g. 10.0.0.0/8 or fc00::/7)`;
  }
  return null;
}

const cache = new WeakMap<readonly string[], BlockList>();

/** Whether an address lies in one of the networks (invalid entries are ignored; they were refused at start). */
export function isPrivate(nets: readonly string[], ip: string): boolean {
  let list = cache.get(nets);
  if (!list) {
    list = new BlockList();
    for (const c of nets) {
      const [addr = '', bits] = c.split('/');
      const v = isIP(addr);
      if (v !== 0) list.addSubnet(addr, Number(bits), v === 4 ? 'ipv4' : 'ipv6');
    }
    cache.set(nets, list);
  }
  const v = isIP(ip);
  return v !== 0 && list.check(ip, v === 4 ? 'ipv4' : 'ipv6');
}
