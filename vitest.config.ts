import { configDefaults, defineConfig } from 'vitest/config';

/** The console's walk in a real browser: chromium takes a core, so it runs after the rest, alone. */
const BROWSER_TESTS = ['test/console/consoleBrowser.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Process-level tests start real servers; two cores do not take many at once.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'hearthook', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...BROWSER_TESTS] } },
      { extends: true, test: { name: 'browser', include: BROWSER_TESTS, sequence: { groupOrder: 1 } } },
    ],
  },
});
