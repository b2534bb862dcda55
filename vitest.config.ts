import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/peers/**', 'test/e2e/**', 'node_modules/**'],
    testTimeout: 30_000,
  },
})
