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
 * Lists only FTP-related entries, filtered in the kernel: control connections to each FTP port, active data
 * connections from port 20, and the whole expectation table (small by nature). Passive data connections are
 * not listed (no port-range filter exists); events bring them in.
 */
export async function listFtpEntries(exec: Exec, ftpPorts: number[], netns: string | null): Promise<Listing> {
  const out: Listing = { conns: [], expects: [], unknown: 0, examples: [], problems: [] };
  const runs: [string[], 'ct' | 'exp'][] = [
    ...ftpPorts.map((p): [string[], 'ct'] => [
      ['-L', '-p', 'tcp', '--orig-port-dst', String(p), '-o', 'id'],
      'ct',
    ]),
    [['-L', '-p', 'tcp', '--orig-port-src', '20', '-o', 'id'], 'ct'],
    [['-L', 'expect'], 'exp'],
  ];
  const results = await Promise.all(runs.map(([args]) => exec('conntrack', args, { timeoutMs: 30_000 })));
  results.forEach((r, i) => {
    const kind = (runs[i] as [string[], string])[1];
    if (r.code !== 0) {
      const p = describeFailure('conntrack', r, netns);
      if (!out.problems.includes(p)) out.problems.push(p);
      return;
    }
    const parsed = kind === 'ct' ? parseConntrack(r.stdout) : parseExpect(r.stdout);
    if (kind === 'ct') out.conns.push(...(parsed.records as ConntrackRecord[]));
    else out.expects.push(...(parsed.records as ExpectRecord[]));
    out.unknown += parsed.unknown;
    out.examples.push(...parsed.examples.slice(0, 5 - out.examples.length));
  });
  return out;
}
