import { readFileSync } from 'node:fs';
import type { HubConfig } from '../config.ts';
import { isLoopback } from '../listen-address.ts';
import { ensureSelfSigned } from './self-signed.ts';

/** The certificate the hub serves, and where it came from (for the start-up log). */
export interface HubTls {
  cert: Buffer;
  key: Buffer;
  /** Set when the hub made the certificate itself. */
  selfSigned?: { file: string; created: boolean };
}

/**
 * TLS unless the hub is only reachable from this machine: given files win; otherwise on a network address (or
 * with --tls on) a self-signed certificate is made at first start. Plain HTTP is for loopback only.
 */
export function resolveTls(c: HubConfig): HubTls | undefined {
  if (c.tlsCert !== undefined && c.tlsKey !== undefined) {
    return { cert: readFileSync(c.tlsCert), key: readFileSync(c.tlsKey) };
  }
  if (c.tls !== 'on' && isLoopback(c.host)) return undefined;
  const s = ensureSelfSigned(c.tlsDir);
  return { cert: s.cert, key: s.key, selfSigned: { file: s.certFile, created: s.created } };
}
