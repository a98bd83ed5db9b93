import { defineConfig } from 'vitest/config';

// e2e tier: the built app in browser mode, driven in Debian's headless Chromium (playwright-core).
export default defineConfig({
  test: {
    name: 'e2e',
    environment: 'node',
    include: ['test/e2e/**/*.e2e.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
