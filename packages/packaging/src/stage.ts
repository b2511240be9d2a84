import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** A package's file tree being assembled in a temporary directory (paths are absolute on the target host). */
export class Stage {
  constructor(readonly root: string) {
    // The tree's root becomes `/` when unpacked (tar -C /): it must not carry mkdtemp's 0700.
    chmodSync(root, 0o755);
  }

  /** The staging path of a target path (`/opt/x` → `<root>/opt/x`). */
  path(target: string): string {
    return join(this.root, target);
  }

  /** Copies a file or directory to a target path, with a mode for files. */
  copy(from: string, target: string, mode?: number): void {
    const to = this.path(target);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to, { recursive: true });
    if (mode !== undefined) chmodSync(to, mode);
  }

  /** Writes a file at a target path. */
  write(target: string, text: string, mode = 0o644): void {
    const to = this.path(target);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, text);
    chmodSync(to, mode);
  }

  /** A relative symlink, so the tree also works unpacked under another root (dpkg -x, tar -C). */
  link(target: string, pointsTo: string): void {
    const at = this.path(target);
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(relative(dirname(target), pointsTo), at);
  }
}

/** Where Node's licence usually is for the running binary (nodesource and official builds). */
function nodeLicense(): string | null {
  const prefix = dirname(dirname(process.execPath));
  const candidates = [
    join(prefix, 'share/doc/nodejs/LICENSE'),
    join(prefix, 'share/doc/node/LICENSE'),
    join(prefix, 'LICENSE'),
    '/usr/share/doc/nodejs/LICENSE',
  ];
  return candidates.find((c) => existsSync(c)) ?? null;
}

/**
 * The Node.js runtime a package carries: this build machine's own binary (the one the tests ran with),
 * stripped of debug symbols when `strip` is there (99 → 86 MB for Debian's nodesource build).
 */
export function stageNode(stage: Stage, targetDir: string): void {
  const bin = stage.path(join(targetDir, 'bin/node'));
  mkdirSync(dirname(bin), { recursive: true });
  copyFileSync(process.execPath, bin);
  chmodSync(bin, 0o755);
  try {
    execFileSync('strip', ['--strip-all', bin], { stdio: 'ignore' });
  } catch {
    // binutils missing: ship it unstripped (bigger, same behaviour)
  }
  const license = nodeLicense();
  stage.write(
    join(targetDir, 'VERSION'),
    `Node.js ${process.version} (${process.platform}-${process.arch}), copied from ${process.execPath} at build time\n`,
  );
  if (license) stage.copy(license, join(targetDir, 'LICENSE'), 0o644);
}
