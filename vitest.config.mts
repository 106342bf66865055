import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration files share one real daemon; two workers match the two cores here.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'node', include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'] } },
      // Tests that restart or stop the shared daemon run alone, after everything else (npm test).
      { extends: true, test: { name: 'disruptive', include: ['test/disruptive/**/*.test.ts'], maxWorkers: 1 } },
      {
        extends: true,
        plugins: [svelte({ configFile: './svelte.config.mjs' }), svelteTesting()],
        test: { name: 'components', include: ['test/components/**/*.test.ts'], environment: 'happy-dom' },
      },
    ],
  },
});
