import { defineConfig } from 'vitest/config'

// The browser suite: Debian's Chromium driven by playwright-core against a real server.
export default defineConfig({
  test: {
    globalSetup: ['test/build-cli.ts'],
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
})
