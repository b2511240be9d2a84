import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Stage } from './stage.ts';

/** What goes into DEBIAN/control and the maintainer scripts. */
export interface DebMeta {
  name: string;
  version: string;
  arch: string;
  depends: string[];
  summary: string;
  description: string;
  /** Target paths dpkg must treat as configuration (kept on upgrade when the admin changed them). */
  conffiles: string[];
  /** postinst, prerm, postrm: files to copy into DEBIAN/. */
  scripts: Record<'postinst' | 'prerm' | 'postrm', string>;
}

/** How hard to compress: `xz` for release files, `fast` (gzip -1) where only the contents matter (tests). */
export type Compression = 'xz' | 'fast';

/** The architecture dpkg names this machine (amd64, arm64, ...). */
export function debArch(): string {
  return execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
}

/** Size of a tree in KiB, as Installed-Size wants it (symlinks count as nothing). */
function treeKiB(dir: string): number {
  let bytes = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) bytes += st.size;
    }
  };
  walk(dir);
  return Math.ceil(bytes / 1024);
}

function control(m: DebMeta, installedKiB: number): string {
  const body = m.description
    .trim()
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ` ${l}`))
    .join('\n');
  return [
    `Package: ${m.name}`,
    `Version: ${m.version}`,
    `Architecture: ${m.arch}`,
    'Maintainer: ftpscope maintainers <ftpscope@localhost>',
    `Installed-Size: ${installedKiB}`,
    `Depends: ${m.depends.join(', ')}`,
    'Section: net',
    'Priority: optional',
    `Description: ${m.summary}`,
    body,
    '',
  ].join('\n');
}

/**
 * Writes `<out>/<name>_<version>_<arch>.deb` (dpkg-deb, files owned by root) and the same tree as `.tar.gz`
 * (to unpack with `tar -xzf FILE -C /`; the maintainer scripts are inside under share/maintainer/).
 */
export function buildDeb(
  stage: Stage,
  m: DebMeta,
  out: string,
  compression: Compression,
): { deb: string; tar: string } {
  mkdirSync(out, { recursive: true });
  const base = `${m.name}_${m.version}_${m.arch}`;
  const tar = join(out, `${base}.tar.gz`);
  const gzip = compression === 'fast' ? 'gzip -1' : 'gzip -9';
  // biome-ignore format: tar's options read best in pairs
  execFileSync('tar', [
    '--create', '--file', tar, `--use-compress-program=${gzip}`, '--owner=0', '--group=0', '--numeric-owner',
    '--sort=name', '--directory', stage.root, '--exclude=./DEBIAN', '.',
  ]);

  const debian = stage.path('DEBIAN');
  mkdirSync(debian, { recursive: true });
  stage.write('DEBIAN/control', control(m, treeKiB(stage.root)));
  stage.write('DEBIAN/conffiles', m.conffiles.map((c) => `${c}\n`).join(''));
  for (const [name, file] of Object.entries(m.scripts)) {
    stage.write(`DEBIAN/${name}`, readFileSync(file, 'utf8'), 0o755);
  }
  const deb = join(out, `${base}.deb`);
  const z = compression === 'fast' ? ['-Zgzip', '-z1'] : ['-Zxz', '-z6'];
  execFileSync('dpkg-deb', ['--root-owner-group', ...z, '--build', stage.root, deb], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return { deb, tar };
}
