import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

// Tiers (DESIGN.md "Tests, in tiers"): unit, shell contract, conformance and fuzz run in node;
// renderer components and stores in happy-dom. e2e has its own config (vitest.e2e.config.ts).
export default defineConfig({
  plugins: [vue()],
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/unit/**/*.test.ts', 'test/shell/**/*.test.ts', 'test/conformance/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'renderer',
          environment: 'happy-dom',
          include: ['test/renderer/**/*.test.ts'],
        },
      },
    ],
  },
});
