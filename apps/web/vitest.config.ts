import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineProject } from 'vitest/config';

export default defineProject({
  plugins: [svelte()],
  // Component tests mount Svelte's client build; node_modules deps the server tests use stay external,
  // so Node still resolves them with its own conditions.
  resolve: { conditions: ['browser'] },
  test: {
    name: 'web',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Compile svelte through vite so component tests get its client build (browser condition).
    server: { deps: { inline: [/\bsvelte\b/] } },
  },
});
