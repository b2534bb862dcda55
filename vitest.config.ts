import { defineConfig } from 'vitest/config'
import { CLI_TESTS, OTHER_SUITES } from './test/suites.ts'

// `npm test`: everything in-process. The tests that spawn the CLI are `npm run test:cli`.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...CLI_TESTS, ...OTHER_SUITES, 'node_modules/**'],
    testTimeout: 30_000,
  },
})
