import { access, constants } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realExec } from '../exec.ts';
import type { Exec } from '../host-monitor.types.ts';

/** File name of the native conntrack reader (apps/collector/native/ctreader.c). */
export const CTREADER_NAME = 'ftpscope-ctreader';

/** Which conntrack reader a host monitor uses: the native one, or the `conntrack` tool and why. */
export type CtReaderChoice = { path: string; version: string } | { path: null; reason: string };

/**
 * Where the reader is looked for when --ctreader is not given: next to the running file (a bundle ships
 * it beside itself), then native/build/ seen from dist/ and from src/sources/.
 */
export function defaultCandidates(moduleUrl: string = import.meta.url): string[] {
  const dir = dirname(fileURLToPath(moduleUrl));
  return [
    join(dir, CTREADER_NAME),
    join(dir, '..', 'native', 'build', CTREADER_NAME),
    join(dir, '..', '..', 'native', 'build', CTREADER_NAME),
  ];
}

async function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/**
 * Finds the native reader and checks that it runs (`--version`): a binary built against a missing
 * libnetfilter_conntrack fails in the dynamic loader, and then the collector must fall back to the tool.
 * `setting`: --ctreader/FTPSCOPE_CTREADER (a path, or "off" for the tool); null = the default places.
 */
export async function locateCtReader(
  setting: string | null,
  exec: Exec = realExec,
  candidates: string[] = defaultCandidates(),
): Promise<CtReaderChoice> {
  if (setting === 'off') return { path: null, reason: 'the native conntrack reader is off (--ctreader off)' };
  let path: string | undefined;
  if (setting !== null) {
    if (!(await executable(setting)))
      return { path: null, reason: `--ctreader ${setting}: no such executable file` };
    path = setting;
  } else {
    for (const c of candidates) {
      if (await executable(c)) {
        path = c;
        break;
      }
    }
    if (path === undefined)
      return {
        path: null,
        reason: `the native conntrack reader is not built (${CTREADER_NAME}; run scripts/build-native.sh or give --ctreader PATH)`,
      };
  }
  const r = await exec(path, ['--version'], { timeoutMs: 5000 });
  const version = /^ftpscope-ctreader (\S+)/.exec(r.stdout)?.[1];
  if (r.code !== 0 || version === undefined) {
    const why = (r.stderr || r.stdout).trim().split('\n')[0]?.slice(0, 200) || `exit ${r.code}`;
    return { path: null, reason: `the native conntrack reader ${path} does not run: ${why}` };
  }
  return { path, version };
}
