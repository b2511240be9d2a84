import { describeFailure } from '../exec.ts';
import type { Exec } from '../host-monitor.types.ts';
import { type ConntrackRecord, parseConntrack } from './conntrack-parse.ts';
import { type ExpectRecord, parseExpect } from './expect-parse.ts';

export interface Listing {
  conns: ConntrackRecord[];
  expects: ExpectRecord[];
  unknown: number;
  examples: string[];
  problems: string[];
}

/**
 * Lists only FTP-related entries with the `conntrack` tool, filtered in the kernel: control connections to
 * each FTP port, active data connections from port 20, data connections created from an expectation
 * (`--status EXPECTED`, i.e. with a helper), and the whole expectation table (small by nature). Passive data
 * connections of a host without a helper are not listed (the tool has no port-range filter); the native
 * reader lists those too.
 */
export async function listFtpEntries(exec: Exec, ftpPorts: number[], netns: string | null): Promise<Listing> {
  const out: Listing = { conns: [], expects: [], unknown: 0, examples: [], problems: [] };
  const runs: [string[], 'ct' | 'exp'][] = [
    ...ftpPorts.map((p): [string[], 'ct'] => [
      ['-L', '-p', 'tcp', '--orig-port-dst', String(p), '-o', 'id'],
      'ct',
    ]),
    [['-L', '-p', 'tcp', '--orig-port-src', '20', '-o', 'id'], 'ct'],
    [['-L', '-p', 'tcp', '--status', 'EXPECTED', '-o', 'id'], 'ct'],
    [['-L', 'expect'], 'exp'],
  ];
  const seen = new Set<string>();
  const results = await Promise.all(runs.map(([args]) => exec('conntrack', args, { timeoutMs: 30_000 })));
  results.forEach((r, i) => {
    const kind = (runs[i] as [string[], string])[1];
    if (r.code !== 0) {
      const p = describeFailure('conntrack', r, netns);
      if (!out.problems.includes(p)) out.problems.push(p);
      return;
    }
    const parsed = kind === 'ct' ? parseConntrack(r.stdout) : parseExpect(r.stdout);
    // An active data connection from port 20 with a helper is in two listings.
    if (kind === 'exp') {
      out.expects.push(...(parsed.records as ExpectRecord[]));
    } else {
      for (const c of parsed.records as ConntrackRecord[]) {
        if (c.id !== null && seen.has(c.id)) continue;
        if (c.id !== null) seen.add(c.id);
        out.conns.push(c);
      }
    }
    out.unknown += parsed.unknown;
    out.examples.push(...parsed.examples.slice(0, 5 - out.examples.length));
  });
  return out;
}
