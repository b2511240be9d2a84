import type { ManagedProfile } from './index.ts';

/** Managed profiles, by manager. */
export const MANAGED_PROFILES: readonly ManagedProfile[] = [
  'firewalld-port-only',
  'firewalld-ftp-service',
  'ufw-port-only',
  'ufw-healthy',
  'iptables-services-no-helper',
  'netfilter-persistent-no-helper',
  'nftables-service-no-helper',
];

/** True for a profile a real manager owns. */
export const isManaged = (p: string): p is ManagedProfile =>
  (MANAGED_PROFILES as readonly string[]).includes(p);
