import { readFileSync } from 'node:fs';

/** Linux capability numbers the collector cares about (linux/capability.h). */
export const CAP_NET_ADMIN = 12;

/**
 * True when this process has the capability in its effective set (root normally has all). Reads CapEff from
 * /proc/self/status, so a systemd unit or setpriv that grants only CAP_NET_ADMIN is recognised as enough.
 */
export function hasEffectiveCap(cap: number, status?: string): boolean {
  let text = status;
  try {
    text ??= readFileSync('/proc/self/status', 'utf8');
  } catch {
    return false;
  }
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(text)?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> BigInt(cap)) & 1n) === 1n;
}
