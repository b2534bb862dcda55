import { defineConfig } from 'drizzle-kit'

// PostgreSQL migrations from the same table definition as drizzle.config.ts's SQLite ones.
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/pg/schema.ts',
  out: './db/migrations-pg',
  casing: 'snake_case',
})
