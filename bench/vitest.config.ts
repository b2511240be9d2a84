import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'bench',
    include: ['bench-quick.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
  },
});
