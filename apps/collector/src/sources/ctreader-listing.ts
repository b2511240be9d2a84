import type { SpawnLines } from '../exec.ts';
import type { ConntrackRecord } from './conntrack-parse.ts';
import { parseReaderLine } from './ctreader-parse.ts';
import type { ExpectRecord } from './expect-parse.ts';
import { MAX_EXAMPLES } from './parse-result.ts';

/** A listing of 100k entries takes well under a second; this only catches a reader that hangs. */
const LIST_TIMEOUT_MS = 60_000;

/** The reader's filter arguments: control ports and, when the server's settings say, its passive range. */
export function ctreaderArgs(ftpPorts: number[], passiveRange: [number, number] | null): string[] {
  const args = ['--ports', ftpPorts.join(',')];
  if (passiveRange) args.push('--passive', `${passiveRange[0]}-${passiveRange[1]}`);
  return args;
}

/**
 * The problem line for a reader exit that a restart cannot fix (no privilege, bad arguments, the binary
 * gone), or null when a restart may help (killed, crashed, a transient error). Starts with "conntrack" so the
 * host's capabilities drop the conntrack sources, as with the tool.
 */
export function describeReaderExit(
  mode: 'events' | 'list',
  path: string,
  code: number | null,
  why: string,
): string | null {
  const what = mode === 'events' ? 'conntrack events' : 'conntrack listing';
  if (code === 3 || /Operation not permitted|Permission denied/.test(why))
    return `${what} (native reader): permission denied; run the collector as root or with CAP_NET_ADMIN`;
  if (code === 127 || /ENOENT|No such file or directory/.test(why))
    return `${what} (native reader): ${path} is gone or cannot load its libraries (apt-get install libnetfilter-conntrack3, scripts/build-native.sh): ${why.slice(0, 200)}`;
  if (code === 2) return `${what} (native reader): rejected its arguments: ${why.slice(0, 200)}`;
  return null;
}

/** Counts of one native listing, with what went wrong. */
export interface NativeListing {
  conns: number;
  expects: number;
  unknown: number;
  examples: string[];
  problems: string[];
}

/**
 * Lists the FTP-related conntrack entries (control, data connections by master/status/ports) and every
 * expectation with `ftpscope-ctreader list`, handing each record over as its line arrives, so a table of
 * 100k entries is never held as text or as an array.
 */
export function listWithReader(
  spawn: SpawnLines,
  path: string,
  args: string[],
  onConntrack: (rec: ConntrackRecord) => void,
  onExpect: (rec: ExpectRecord) => void,
): Promise<NativeListing> {
  const out: NativeListing = { conns: 0, expects: 0, unknown: 0, examples: [], problems: [] };
  let done = false;
  let lastErr = '';
  return new Promise((resolve) => {
    const s = spawn(path, ['list', ...args], {
      onStdout: (line) => {
        const r = parseReaderLine(line);
        if (r?.kind === 'ct') {
          out.conns++;
          onConntrack(r.rec);
        } else if (r?.kind === 'exp') {
          out.expects++;
          onExpect(r.rec);
        } else if (r?.kind === 'done') {
          done = true;
        } else if (line.trim() !== '') {
          out.unknown++;
          if (out.examples.length < MAX_EXAMPLES) out.examples.push(line.slice(0, 300));
        }
      },
      onStderr: (line) => {
        if (line.trim() !== '') lastErr = line.trim();
      },
      onExit: (code, error) => {
        clearTimeout(timer);
        if (!done) {
          const why = error ?? lastErr;
          out.problems.push(
            describeReaderExit('list', path, code, why) ??
              `conntrack listing (native reader) failed (${code === null ? 'killed' : `exit ${code}`}): ${why.slice(0, 200)}`,
          );
        }
        resolve(out);
      },
    });
    const timer = setTimeout(() => {
      lastErr = `timed out after ${LIST_TIMEOUT_MS / 1000} s`;
      s.stop();
    }, LIST_TIMEOUT_MS);
    timer.unref?.();
  });
}
