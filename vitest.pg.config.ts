import { defineConfig } from 'vitest/config'

// `npm run test:pg`: the store on a real PostgreSQL. test/pg/global-setup.ts starts a throwaway
// cluster (test/pg/cluster.sh) and stops it when the suite ends; `npm test` leaves test/pg/ out.
// Its CLI and multi-server tests run the built CLI: test/build-cli.ts builds dist/ first.
export default defineConfig({
  test: {
    globalSetup: ['test/build-cli.ts', 'test/pg/global-setup.ts'],
    include: ['test/pg/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
