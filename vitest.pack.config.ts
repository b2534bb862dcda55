import { defineConfig } from 'vitest/config'

// `npm run test:pack`: npm pack, install of the tarball into an empty directory, then the CLI from
// there. The install compiles better-sqlite3 when no prebuilt binary can be downloaded: minutes.
export default defineConfig({
  test: {
    include: ['test/pack/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 15 * 60_000,
  },
})
