import { fileURLToPath } from 'node:url';
import { isBundle } from '@ftpscope/shared/build-info';

/** A directory of the hub's own files: beside the bundle in a package, in the source tree otherwise. */
function hubFile(inBundle: string, inSource: string): string {
  return fileURLToPath(new URL(isBundle() ? inBundle : inSource, import.meta.url));
}

/** Where `pnpm build` puts the UI (the package ships it as `ui/` beside the bundle). */
export const DEFAULT_UI_DIR = hubFile('./ui/', '../../dist/');
/** The install script and its template files. */
export const INSTALL_DIR = hubFile('./install/', './install/');
/** Collector packages the hub offers for download (`pnpm package` writes them to the repository's dist/). */
export const DEFAULT_DOWNLOADS_DIR = hubFile('../share/downloads/', '../../../../dist/');
/** The hub's icons (served whether or not the UI is built). */
export const ASSETS_DIR = hubFile('./assets/', './assets/');
/** Each engine's numbered migrations (one bundle holds both engines, so the package names the folders apart). */
export const MIGRATIONS_DIRS = {
  sqlite: hubFile('./sqlite-migrations/', './store/sqlite/migrations/'),
  postgres: hubFile('./postgres-migrations/', './store/postgres/migrations/'),
};
