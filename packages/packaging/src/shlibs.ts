import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';

/** Shared libraries an ELF file loads, as `ldd` resolves them on this machine. */
function sharedLibs(file: string): string[] {
  const out = execFileSync('ldd', [file], { encoding: 'utf8' });
  return [...out.matchAll(/=>\s+(\/\S+)/g)].map((m) => m[1] as string);
}

/** The Debian package that installed a file, trying the /lib ↔ /usr/lib spellings of a merged /usr. */
function owner(path: string): string | null {
  const spellings = new Set([
    path,
    realpathSync(path),
    path.replace(/^\/usr\/lib\//, '/lib/'),
    `/usr${path}`,
  ]);
  for (const p of spellings) {
    try {
      const line = execFileSync('dpkg', ['-S', p], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      return (line.split(':')[0] ?? '').trim() || null;
    } catch {
      // not this spelling
    }
  }
  return null;
}

/**
 * Debian packages providing the shared libraries of these binaries (what dpkg-shlibdeps would find, without
 * needing dpkg-dev): e.g. libc6, libstdc++6, libgcc-s1 for Node, libnetfilter-conntrack3 for the native reader.
 */
export function sharedLibDepends(files: string[]): string[] {
  const pkgs = new Set<string>();
  for (const f of files) {
    for (const lib of sharedLibs(f)) {
      const pkg = owner(lib);
      if (pkg === null) throw new Error(`${f} needs ${lib}, which no Debian package owns: cannot declare it`);
      pkgs.add(pkg);
    }
  }
  return [...pkgs].sort();
}
