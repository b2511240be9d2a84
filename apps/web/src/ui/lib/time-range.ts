/** Named ranges of the range picker; anything else is `custom` with explicit from/to. */
export const PRESETS = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
} as const;
export type Preset = keyof typeof PRESETS;

/** A resolved time window in epoch millis. */
export interface Window {
  from: number;
  to: number;
  preset: Preset | 'custom';
}

/** Resolve the range of a URL query (`range=1h`, or `from`/`to` ISO) against `now`; defaults to 1 h. */
export function resolveRange(query: Record<string, string>, now: number): Window {
  const from = query.from ? Date.parse(query.from) : Number.NaN;
  const to = query.to ? Date.parse(query.to) : Number.NaN;
  if (query.range === 'custom' || (!query.range && !Number.isNaN(from))) {
    if (!Number.isNaN(from)) {
      const end = Number.isNaN(to) ? now : to;
      if (end > from) return { from, to: end, preset: 'custom' };
    }
  }
  const preset: Preset = query.range && query.range in PRESETS ? (query.range as Preset) : '1h';
  return { from: now - PRESETS[preset], to: now, preset };
}

/** Bucket width (seconds) that gives ~300 points over the window, on round steps. */
export function stepFor(win: Window): number {
  const steps = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 21600, 86400];
  const want = (win.to - win.from) / 1000 / 300;
  return steps.find((s) => s >= want) ?? 86400;
}

/**
 * The most recent moment at local time `hh:mm` not after `now` ("around 15:00" means today's 15:00,
 * or yesterday's when it is not 15:00 yet). Returns null for malformed input.
 */
export function aroundTime(hhmm: string, now: number): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 23 || min > 59) return null;
  const d = new Date(now);
  d.setHours(h, min, 0, 0);
  if (d.getTime() > now) d.setDate(d.getDate() - 1);
  return d.getTime();
}
