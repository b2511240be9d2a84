import { isIP } from 'node:net';

/** `HOST:PORT` or `[IPV6]:PORT`; null when it is neither. */
export function parseHostPort(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  return { host: (m[1] ?? m[2]) as string, port: Number(m[3]) };
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. 0.0.0.0 and :: are all addresses. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** `host:port` for a URL (IPv6 in brackets). */
export function urlHost(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
