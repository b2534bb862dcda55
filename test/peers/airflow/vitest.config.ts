import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/** The real-Airflow suite: `npx vitest run --config test/peers/airflow/vitest.config.ts`. */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../../..', import.meta.url)),
    include: ['test/peers/airflow/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 900_000,
  },
})
