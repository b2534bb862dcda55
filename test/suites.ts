/**
 * The test files that run the CLI or a server as child processes, and the crash and concurrency
 * tests: `npm run test:cli` (vitest.cli.config.ts) runs them against the built CLI in dist/, and
 * `npm test` leaves them out so it stays fast. A new file that spawns a process belongs here: a
 * name ending in cli.test.ts, or a place in test/reliability/.
 */
export const CLI_TESTS = ['test/**/*cli.test.ts', 'test/reliability/**/*.test.ts']

/** The same sets as CLI_TESTS, for a path relative to the repository root. */
export const isCliTest = (path: string): boolean =>
  /^test\/(.+\/)?[^/]*cli\.test\.ts$/.test(path) || /^test\/reliability\/.+\.test\.ts$/.test(path)

/** The suites with their own config, which `npm test` does not run either. */
export const OTHER_SUITES = ['test/peers/**', 'test/e2e/**', 'test/pack/**', 'test/pg/**']
