import type { HostSummary } from '@ftpscope/shared';
import type { HostRecord } from '../store/index.ts';
import { isoOrNull } from './iso.ts';

/** GET /api/hosts: a host record with its time in ISO. */
export function toHostSummary(h: HostRecord): HostSummary {
  return { ...h, lastSeen: isoOrNull(h.lastSeen) };
}
