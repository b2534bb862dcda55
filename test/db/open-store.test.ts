import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openStore, redactStoreSpec, StoreOpenError } from '../../db/open-store.ts'
import { sqliteDbOf } from '../../db/store.ts'

const dir = mkdtempSync(join(tmpdir(), 'meshwatch-open-store-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('openStore', () => {
  it('opens a file path as a migrated SQLite store, creating its folder', async () => {
    const store = await openStore(join(dir, 'sub', 'store.db'))
    expect(store.engine).toBe('sqlite')
    await store.ping()
    expect(await store.admin.isEmpty()).toBe(true)
    expect(sqliteDbOf(store)).toBeDefined()
    await store.close()
  })

  it("opens ':memory:' as SQLite", async () => {
    const store = await openStore(':memory:')
    expect(store.engine).toBe('sqlite')
    expect(await store.tokens.hasTokens()).toBe(false)
    await store.close()
  })

  it.each([
    {
      name: 'empty',
      spec: '',
      says: /--db \(or MESHWATCH_DB\) "": is empty; expected a SQLite file/,
    },
    {
      name: 'another engine',
      spec: 'mysql://u:hunter2@h/db',
      says: /does not know; expected .*postgres:\/\//,
    },
  ])('refuses $name, naming what was expected', async ({ spec, says }) => {
    const e = await openStore(spec, {}).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(StoreOpenError)
    expect((e as Error).message).toMatch(says)
    expect((e as Error).message).not.toContain('hunter2')
  })

  it('names the source and the file when the file is not a SQLite store', async () => {
    const file = join(dir, 'not-a-db')
    writeFileSync(file, 'this is text, not a database '.repeat(40))
    const e = await openStore(file, { source: 'MESHWATCH_DB' }).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(StoreOpenError)
    expect((e as Error).message).toContain(`MESHWATCH_DB "${file}": cannot open the SQLite store`)
  })

  it('never prints the password of a PostgreSQL URL it cannot reach', async () => {
    // Port 1 on the loopback: nothing listens there, the connection is refused at once.
    const e = await openStore('postgres://meshwatch:s3cr%40t@127.0.0.1:1/mesh', {
      source: '--db',
    }).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(StoreOpenError)
    const m = (e as Error).message
    expect(m).toContain(
      '--db "postgres://meshwatch:***@127.0.0.1:1/mesh": cannot open the PostgreSQL store',
    )
    expect(m).not.toContain('s3cr')
  })

  it.each([
    ['postgres://u:pw@h:5432/db', 'postgres://u:***@h:5432/db'],
    ['postgresql://u@h/db', 'postgresql://u@h/db'],
    ['./data/meshwatch.db', './data/meshwatch.db'],
  ])('redacts %s as %s', (spec, shown) => {
    expect(redactStoreSpec(spec)).toBe(shown)
  })
})
