import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'

/** A new, empty database on the suite's cluster, so each test file starts from nothing. */
export async function createDatabase(): Promise<string> {
  const admin = new pg.Client({ connectionString: inject('pgUrl') })
  await admin.connect()
  const name = `t_${randomBytes(6).toString('hex')}`
  try {
    await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(inject('pgUrl'))
  url.pathname = `/${name}`
  return url.toString()
}
