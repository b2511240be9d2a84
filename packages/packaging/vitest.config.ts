import { defineProject } from 'vitest/config';

/** Package tests build .deb files and run real hubs, collectors and labs: one file at a time. */
export default defineProject({
  test: {
    name: 'packaging',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
