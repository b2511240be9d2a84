import { join, resolve } from 'node:path';

/** Repository root. */
export const ROOT = resolve(import.meta.dirname, '../../..');
/** apps/collector. */
export const COLLECTOR_DIR = join(ROOT, 'apps/collector');
/** apps/web (hub and UI). */
export const WEB_DIR = join(ROOT, 'apps/web');
/** Where the hub bundle and everything it reads at run time are written. */
export const HUB_BUNDLE_DIR = join(WEB_DIR, 'dist-server');
/** Where `pnpm package` writes the .deb and .tar.gz files. */
export const DIST_DIR = join(ROOT, 'dist');
