import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'collector',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
