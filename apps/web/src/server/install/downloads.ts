import { readdirSync } from 'node:fs';

/** File names `pnpm package` gives collector packages: ftpscope-collector_<version>_<arch>.<deb|tar.gz>. */
const PACKAGE = /^ftpscope-collector_([0-9][A-Za-z0-9.+~-]*)_([a-z0-9]+)\.(deb|tar\.gz)$/;

/** Collector packages in `dir` (none when it does not exist). */
export function collectorPackages(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => PACKAGE.test(f))
      .sort();
  } catch {
    return [];
  }
}

/** The newest collector package for an architecture and format, or null. */
export function findCollectorPackage(dir: string, arch: string, format: 'deb' | 'tar.gz'): string | null {
  const matching = collectorPackages(dir).filter((f) => {
    const m = PACKAGE.exec(f);
    return m?.[2] === arch && m[3] === format;
  });
  matching.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return matching.at(-1) ?? null;
}
