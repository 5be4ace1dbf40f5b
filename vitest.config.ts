import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Angular's class decorators (`@Injectable`) are legacy (experimentalDecorators) decorators;
  // vite's oxc transform leaves decorator syntax alone unless told to lower it.
  oxc: { decorator: { legacy: true } },
  test: {
    include: ['spec/**/*.spec.ts'],
    restoreMocks: true,
    testTimeout: 20_000,
  },
});
