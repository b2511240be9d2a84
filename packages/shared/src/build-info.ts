import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `--version` and `/api/health` report: the release and the commit it was built from. */
export interface BuildInfo {
  version: string;
  commit: string;
}

/** Set by the bundler (packages/packaging) in a bundle; absent when running from source. */
declare const FTPSCOPE_BUILD: BuildInfo | undefined;

/**
 * The build's version and commit. A bundle carries them as a constant; from source they come from the app's
 * package.json and `git rev-parse` (commit "unknown" outside a checkout, "+dirty" with uncommitted changes).
 */
export function buildInfo(packageJson: URL): BuildInfo {
  if (typeof FTPSCOPE_BUILD !== 'undefined') return FTPSCOPE_BUILD;
  let version = '0.0.0';
  try {
    version = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  } catch {
    // keep 0.0.0: a missing package.json must not stop a collector
  }
  return { version, commit: gitCommit(dirname(fileURLToPath(packageJson))) };
}

/** The checkout's commit (12 hex digits, "+dirty" with uncommitted changes), or "unknown". */
export function gitCommit(cwd: string): string {
  const git = (args: string[]) =>
    execFileSync('git', args, { cwd, encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const commit = git(['rev-parse', '--short=12', 'HEAD']).trim();
    const dirty = git(['status', '--porcelain', '--untracked-files=no']).trim() !== '';
    return dirty ? `${commit}+dirty` : commit;
  } catch {
    return 'unknown';
  }
}

/** One line for `--version`: `0.1.0 (commit 0123456789ab)`. */
export function versionLine(info: BuildInfo): string {
  return `${info.version} (commit ${info.commit})`;
}

/** True inside a bundle (files it reads at run time then sit beside it, not in the source tree). */
export function isBundle(): boolean {
  return typeof FTPSCOPE_BUILD !== 'undefined';
}
