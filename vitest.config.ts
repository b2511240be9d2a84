import { defineConfig } from 'vitest/config';

/** One test command for the repo: every package contributes its own project. */
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'bench'],
  },
});
