import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import type { BuildInfo } from '@ftpscope/shared/build-info';
import { build, type Plugin } from 'esbuild';
import { COLLECTOR_DIR, HUB_BUNDLE_DIR, WEB_DIR } from './layout.ts';

/** File names of the two bundles (each the only JavaScript its app runs). */
export const COLLECTOR_BUNDLE = 'ftpscope-collector.mjs';
export const HUB_BUNDLE = 'ftpscope-hub.mjs';

/**
 * ESM bundles of CommonJS dependencies need `require`, `__filename` and `__dirname`; the bundle's own
 * directory stands in for every module's (files a dependency reads at run time are copied next to it).
 */
const BANNER = [
  "import { createRequire as __ftpscopeCreateRequire } from 'node:module';",
  "import { fileURLToPath as __ftpscopeFileUrlToPath } from 'node:url';",
  "import { dirname as __ftpscopeDirname } from 'node:path';",
  'const require = __ftpscopeCreateRequire(import.meta.url);',
  'const __filename = __ftpscopeFileUrlToPath(import.meta.url);',
  'const __ftpscope_bundle_dir = __ftpscopeDirname(__filename);',
  'const __dirname = __ftpscope_bundle_dir;',
].join('\n');

/** Optional native accelerators of `ws`: it falls back to JavaScript when they are missing. */
const WS_OPTIONAL = ['bufferutil', 'utf-8-validate'];

/**
 * @fastify/swagger-ui reads its static files relative to its own `__dirname`; in the bundle they live in
 * `swagger-ui/` beside it, so each of its modules gets that directory instead of the bundle's.
 */
function swaggerUiAssets(pkgDir: string): Plugin {
  return {
    name: 'ftpscope-swagger-ui-dirname',
    setup(b) {
      b.onLoad({ filter: /[\\/]@fastify[\\/]swagger-ui[\\/].*\.js$/ }, async (args) => {
        const { readFile } = await import('node:fs/promises');
        const rel = relative(pkgDir, dirname(args.path));
        if (rel.startsWith('..')) return undefined;
        const source = await readFile(args.path, 'utf8');
        const dir = `require('node:path').join(__ftpscope_bundle_dir, 'swagger-ui', ${JSON.stringify(rel)})`;
        return { contents: `var __dirname = ${dir};\n${source}`, loader: 'js' };
      });
    },
  };
}

async function bundle(
  entry: string,
  outfile: string,
  info: BuildInfo,
  o: { external: string[]; plugins?: Plugin[] },
) {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Node's own conditions: packages that ship a browser build must not hand it to the server.
    conditions: ['node'],
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    define: { FTPSCOPE_BUILD: JSON.stringify(info) },
    external: o.external,
    plugins: o.plugins ?? [],
    legalComments: 'external',
    logLevel: 'warning',
    metafile: true,
  });
  return result.metafile;
}

/** apps/collector/dist/ftpscope-collector.mjs: the whole collector in one file. */
export async function bundleCollector(
  info: BuildInfo,
  outDir = join(COLLECTOR_DIR, 'dist'),
): Promise<string> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, COLLECTOR_BUNDLE);
  await bundle(join(COLLECTOR_DIR, 'src/main.ts'), file, info, { external: WS_OPTIONAL });
  return file;
}

/** Copies a dependency's files (not its sources or build leftovers) into `node_modules/NAME` under `outDir`. */
function copyModule(from: string, name: string, outDir: string, keep: (rel: string) => boolean): string {
  const to = join(outDir, 'node_modules', name);
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const abs = join(dir, entry);
      const rel = relative(from, abs);
      if (statSync(abs).isDirectory()) walk(abs);
      else if (keep(rel)) cpSync(abs, join(to, rel));
    }
  };
  walk(from);
  return to;
}

/** Where a package resolves from `fromDir` (its directory). */
function packageDir(name: string, fromDir: string): string {
  const req = createRequire(join(fromDir, 'package.json'));
  return dirname(req.resolve(`${name}/package.json`));
}

/**
 * apps/web/dist-server/: ftpscope-hub.mjs plus what it reads at run time: both engines' migrations, the icons, the install script,
 * the built UI, swagger-ui's static files, and better-sqlite3 (its JavaScript and its compiled .node only).
 */
export async function bundleHub(
  info: BuildInfo,
  outDir = HUB_BUNDLE_DIR,
  uiDir = join(WEB_DIR, 'dist'),
): Promise<string> {
  if (!existsSync(join(uiDir, 'index.html'))) {
    throw new Error(
      `the UI is not built (${uiDir}/index.html missing): run \`pnpm build\` (vite build) first`,
    );
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const swaggerDir = packageDir('@fastify/swagger-ui', WEB_DIR);
  const file = join(outDir, HUB_BUNDLE);
  await bundle(join(WEB_DIR, 'src/server/main.ts'), file, info, {
    external: ['better-sqlite3', ...WS_OPTIONAL],
    plugins: [swaggerUiAssets(swaggerDir)],
  });
  // Both engines live in the one bundle: each finds its migrations under its own name (server/paths.ts).
  for (const engine of ['sqlite', 'postgres'])
    cpSync(join(WEB_DIR, `src/server/store/${engine}/migrations`), join(outDir, `${engine}-migrations`), {
      recursive: true,
    });
  cpSync(join(WEB_DIR, 'src/server/install/install.sh'), join(outDir, 'install/install.sh'));
  cpSync(join(WEB_DIR, 'src/server/assets'), join(outDir, 'assets'), { recursive: true });
  cpSync(uiDir, join(outDir, 'ui'), { recursive: true });
  cpSync(join(swaggerDir, 'static'), join(outDir, 'swagger-ui/static'), { recursive: true });

  const sqliteDir = packageDir('better-sqlite3', WEB_DIR);
  const native = join(sqliteDir, 'build/Release/better_sqlite3.node');
  if (!existsSync(native)) {
    throw new Error(
      `${native} is missing: better-sqlite3 was not built (pnpm install runs its build script)`,
    );
  }
  copyModule(
    sqliteDir,
    'better-sqlite3',
    outDir,
    (rel) =>
      rel === 'package.json' ||
      rel === 'LICENSE' ||
      rel.startsWith('lib/') ||
      rel === 'build/Release/better_sqlite3.node',
  );
  // better-sqlite3 finds its .node through `bindings`, which needs `file-uri-to-path`.
  const bindingsDir = packageDir('bindings', sqliteDir);
  copyModule(bindingsDir, 'bindings', outDir, (rel) => !rel.includes('/') && !rel.endsWith('.md'));
  const uriDir = packageDir('file-uri-to-path', bindingsDir);
  copyModule(
    uriDir,
    'file-uri-to-path',
    outDir,
    (rel) => rel === 'package.json' || rel === 'LICENSE' || rel === 'index.js',
  );
  return file;
}
