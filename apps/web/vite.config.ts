import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

// `vite` (dev) proxies the API to a running hub; override with FTPSCOPE_HUB_URL.
const hub = process.env.FTPSCOPE_HUB_URL ?? 'http://127.0.0.1:8080';

/** The UI is a static SPA built into apps/web/dist, which the hub serves at `/`. */
export default defineConfig({
  root: fileURLToPath(new URL('src/ui', import.meta.url)),
  base: './',
  plugins: [svelte()],
  build: {
    outDir: fileURLToPath(new URL('dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // One stylesheet and two scripts for the first screen: each request may wait behind a busy hub's ingest.
    cssCodeSplit: false,
    rollupOptions: {
      output: {
        // Everything the first screen imports statically is one `app` chunk; the views App.svelte loads lazily
        // (and what only they import: uPlot, the Drops chart library, is a third of the code) keep their own.
        manualChunks(id, { getModuleInfo }) {
          const seen = new Set<string>();
          const todo = [id];
          for (let m = todo.pop(); m !== undefined; m = todo.pop()) {
            if (seen.has(m)) continue;
            seen.add(m);
            const info = getModuleInfo(m);
            if (info?.isEntry) return 'app';
            todo.push(...(info?.importers ?? []));
          }
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': hub,
      '/favicon.ico': hub,
      '/favicon.svg': hub,
      '/ws': { target: hub.replace(/^http/, 'ws'), ws: true },
    },
  },
});
