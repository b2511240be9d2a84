import { defineProject } from 'vitest/config';

/** Lab tests create real namespaces: run files one at a time, generous timeouts. */
export default defineProject({
  test: {
    name: 'lab',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
