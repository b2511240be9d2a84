import { bytesText } from '@ftpscope/shared';
/** Human-readable byte count (1024-based, as operators read interface counters); '–' when unknown. */
export function formatBytes(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : bytesText(n);
}

/** Compact count: 1234 → 1.2k. */
export function formatCount(n: number): string {
  if (n < 1000) return String(Math.round(n * 100) / 100);
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)}k`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}

/** Duration like "4s", "3m 12s", "2h 5m", "3d 1h". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Epoch millis of an ISO string or millis. */
export function toMillis(t: string | number): number {
  return typeof t === 'number' ? t : Date.parse(t);
}

/** Local wall-clock time with seconds, the date only when not today. */
export function formatTime(t: string | number | null, now: number = Date.now()): string {
  if (t === null) return '–';
  const d = new Date(toMillis(t));
  const time = d.toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  });
  if (new Date(now).toDateString() === d.toDateString()) return time;
  return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}

/** "host:port", with brackets for IPv6. */
export function formatEndpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
