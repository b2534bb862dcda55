import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'

// db/migrations-pg from db/pg/; the built CLI runs from dist/, where server/build.mjs copies it.
const MIGRATIONS =
  ['../migrations-pg', './migrations-pg']
    .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
    .find((dir) => existsSync(dir)) ?? fileURLToPath(new URL('../migrations-pg', import.meta.url))
/** The advisory lock key migrations run under: N replicas starting at once migrate once. */
const MIGRATION_LOCK = 16_0001

/** int8 (ids, counts) read back as numbers; one that would lose precision is an error, not a wrong number. */
function parseInt8(text: string): number {
  const n = Number(text)
  if (!Number.isSafeInteger(n))
    throw new Error(`int8 value ${text} is beyond a safe JavaScript number`)
  return n
}

const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? parseInt8
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
}

/** Opens a pool on the PostgreSQL store at `url` and applies every migration, under an advisory lock. */
export async function openPgPool(url: string): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, types: TYPES, max: 10 })
  // An idle connection that PostgreSQL ends (a restart, a failover, pg_terminate_backend) is an
  // 'error' on the pool, which would otherwise kill the process: the pool drops that connection
  // and the next query opens another, and /api/health answers 503 while none can be opened.
  pool.on('error', () => undefined)
  try {
    await migratePg(pool)
  } catch (e) {
    await pool.end()
    throw e
  }
  return pool
}

/** Runs db/migrations-pg/ on one session holding the migration lock; the others wait, then find nothing to do. */
export async function migratePg(pool: pg.Pool): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK])
    try {
      await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS })
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK])
    }
  } finally {
    client.release()
  }
}
