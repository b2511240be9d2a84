import type { FirewalldZone } from '@ftpscope/shared';
import { ParseAccumulator, type ParseResult } from './parse-result.ts';

/** One zone of `firewall-cmd --list-all-zones`, with the markers firewalld prints after its name. */
export interface ParsedZone extends FirewalldZone {
  active: boolean;
  isDefault: boolean;
  sources: string[];
}

const words = (v: string | undefined) => (v ?? '').split(/\s+/).filter(Boolean);

/**
 * Parses `firewall-cmd --list-all-zones`: blocks that start with the zone name at column 0, optionally
 * followed by `(active)`, `(default, active)`…, then indented `key: value` lines.
 */
export function parseFirewalldZones(text: string): ParseResult<ParsedZone> {
  const acc = new ParseAccumulator<ParsedZone>();
  let cur: ParsedZone | null = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const head = /^([\w.-]+)(?:\s+\(([^)]*)\))?\s*$/.exec(line);
    if (head?.[1]) {
      const marks = words(head[2]?.replace(/,/g, ' '));
      cur = {
        name: head[1],
        interfaces: [],
        services: [],
        ports: [],
        sources: [],
        active: marks.includes('active'),
        isDefault: marks.includes('default'),
      };
      acc.add(cur);
      continue;
    }
    const kv = /^\s+([\w-]+):\s*(.*)$/.exec(line);
    if (!cur || !kv) {
      acc.reject(line);
      continue;
    }
    const [, key, value] = kv;
    if (key === 'interfaces') cur.interfaces = words(value);
    else if (key === 'services') cur.services = words(value);
    else if (key === 'ports') cur.ports = words(value);
    else if (key === 'sources') cur.sources = words(value);
  }
  return acc.result();
}

/** Whether a firewall-cmd port list entry ("21/tcp", "20-22/tcp") opens this TCP port. */
export function opensTcpPort(entry: string, port: number): boolean {
  const m = /^(\d+)(?:-(\d+))?\/tcp$/.exec(entry);
  if (!m) return false;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return port >= lo && port <= hi;
}
