import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['spec/**/*.spec.ts'],
    restoreMocks: true,
    testTimeout: 20_000,
  },
});
