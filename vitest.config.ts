import { defineConfig } from 'vitest/config'
import { CLI_TESTS, OTHER_SUITES } from './test/suites.ts'

// `npm test`: everything in-process. The tests that spawn the CLI are `npm run test:cli`.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...CLI_TESTS, ...OTHER_SUITES, 'node_modules/**'],
    testTimeout: 30_000,
    // Test files share each worker's module cache: the SQL parser's WebAssembly is compiled and
    // the app's modules are imported once per worker, not once per file (4.5x less CPU for the
    // suite). No source module keeps mutable state, and every test opens its own store.
    isolate: false,
    // vitest's default worker count (cores - 1: one worker on 2 cores). One worker per core ran
    // the suite in 2m48s at load 16, but at load 29 the tests whose deadline is wall-clock time
    // (alert delivery with a hung webhook) timed out.
  },
})
