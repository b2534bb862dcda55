import { defineConfig } from 'vitest/config'

// The slow suite: real dbt, dbt-ol, the OpenLineage Python client and Airflow, from the venvs.
export default defineConfig({
  test: {
    globalSetup: ['test/build-cli.ts'],
    include: ['test/peers/**/*.test.ts'],
    testTimeout: 20 * 60_000,
    hookTimeout: 20 * 60_000,
    fileParallelism: false,
  },
})
