import { defineConfig } from 'vitest/config'
import { CLI_TESTS } from './test/suites.ts'

// `npm run test:cli`: the built CLI (dist/, built once first) and servers as child processes,
// crash and concurrency tests included.
export default defineConfig({
  test: {
    include: CLI_TESTS,
    // the PostgreSQL suite's own CLI tests (store copy) run in `npm run test:pg`, where its cluster is
    exclude: ['test/pg/**', 'node_modules/**'],
    globalSetup: ['test/build-cli.ts'],
    testTimeout: 60_000,
  },
})
