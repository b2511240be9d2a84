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
  },
  server: {
    proxy: {
      '/api': hub,
      '/ws': { target: hub.replace(/^http/, 'ws'), ws: true },
    },
  },
});
