import type { DropView, GapView, HostHealthView } from '@ftpscope/shared';
import type { DropRecord, GapRecord, HostHealthRecord } from '../store/index.ts';
import { iso } from './iso.ts';

/** A stored dropped packet, time in ISO. */
export function toDropView(d: DropRecord): DropView {
  return { ...d, at: iso(d.at) };
}

/** A stored gap, time in ISO. */
export function toGapView(g: GapRecord): GapView {
  return { ...g, at: iso(g.at) };
}

/** GET /api/hosts/:host/health: times in ISO. */
export function toHostHealthView(h: HostHealthRecord): HostHealthView {
  return {
    health: h.health ? { ...h.health, at: iso(h.health.at) } : null,
    settings: h.settings ? { ...h.settings, updatedAt: iso(h.settings.updatedAt) } : null,
    ...(h.firewall ? { firewall: h.firewall } : {}),
  };
}
