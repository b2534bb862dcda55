import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { emptyBatch } from '../../collectors/batch.ts'
import { closeDb, openDb, withoutForeignKeys } from '../../db/client.ts'
import { StoreBusyError, storeErrorOf } from '../../db/errors.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'

/** Two connections to one store file; the second waits for no lock (busy_timeout 0). */
function twoWriters() {
  const file = join(mkdtempSync(join(tmpdir(), 'busy-')), 'm.db')
  const holder = openDb(file)
  const other = openDb(file)
  other.$client.pragma('busy_timeout = 0')
  return { holder, other }
}

const batch = () => {
  const b = emptyBatch('dbt', 'dbt:sales')
  b.domains.push({ name: 'sales' })
  return b
}

describe('StoreBusyError', () => {
  it("is what SQLite's busy error becomes, with its code and the original as cause", () => {
    const { holder, other } = twoWriters()
    holder.$client.exec('begin immediate')
    let thrown: unknown
    try {
      storeBatch(other, batch(), { contentHash: 'h', now: '2026-01-01T00:00:00Z' })
    } catch (e) {
      thrown = e
    }
    const err = storeErrorOf(thrown)
    expect(err).toBeInstanceOf(StoreBusyError)
    expect(err).toMatchObject({ name: 'StoreBusyError', code: 'SQLITE_BUSY', cause: thrown })
    expect(String((err as Error).message)).toMatch(/the store is busy .*retry/)
    holder.$client.exec('rollback')
    // once the lock is free the same write goes through
    expect(
      storeBatch(other, batch(), { contentHash: 'h', now: '2026-01-01T00:00:00Z' }).duplicate,
    ).toBe(false)
    closeDb(holder)
    closeDb(other)
  })

  it('leaves every other error as it is', () => {
    const db = openDb(':memory:')
    let thrown: unknown
    try {
      db.$client.exec('select * from no_such_table')
    } catch (e) {
      thrown = e
    }
    expect(storeErrorOf(thrown)).toBe(thrown)
    const plain = new Error('x')
    expect(storeErrorOf(plain)).toBe(plain)
    closeDb(db)
  })
})

describe('withoutForeignKeys', () => {
  const fk = (db: ReturnType<typeof openDb>) => db.$client.pragma('foreign_keys', { simple: true })

  it('turns enforcement off for the call and back on after, also when it throws', () => {
    const db = openDb(':memory:')
    expect(fk(db)).toBe(1)
    expect(withoutForeignKeys(db, () => fk(db))).toBe(0)
    expect(fk(db)).toBe(1)
    expect(() =>
      withoutForeignKeys(db, () => {
        throw new Error('boom')
      }),
    ).toThrow('boom')
    expect(fk(db)).toBe(1)
    closeDb(db)
  })

  it('refuses to run inside a transaction, where SQLite would ignore the switch', () => {
    const db = openDb(':memory:')
    expect(() => db.transaction(() => withoutForeignKeys(db, () => 1))).toThrow(
      /outside a transaction/,
    )
    expect(fk(db)).toBe(1)
    closeDb(db)
  })
})
