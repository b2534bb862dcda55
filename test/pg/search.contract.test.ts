import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { search as pgSearch } from '../../db/pg/queries/search.ts'
import * as liteSearch from '../../db/queries/search.ts'
import { demoOnBoth } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/search.ts and db/pg/queries/search.ts on the demo store: the search box's queries
// (ASCII case ignored, % _ and \ literal, ranked, cut at a limit), answers compared.

type M = typeof pgSearch
let db: Db
let pool: pg.Pool
let both: { sqlite: Bound<M>; pg: Bound<M> }

beforeAll(async () => {
  ;({ db, pool } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteSearch, db), pg: bindPg(pgSearch, pool) }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

describe('search on both engines', () => {
  it('finds every kind by whole name, segment, prefix and substring, ASCII case ignored', async () => {
    const names = db.$client
      .prepare(
        `select name from products union select name from datasets union select name from jobs
         union select owner from datasets where owner is not null
         union select value ->> '$.name' from datasets, json_each(datasets.columns) order by 1 limit 40`,
      )
      .all() as { name: string }[]
    const kinds = new Set<string>()
    for (const { name } of names)
      for (const q of [name, name.slice(0, 3), name.slice(-4).toUpperCase(), name.slice(1, -1)])
        for (const limit of [1, 10])
          for (const g of await onBoth(both, (m) => m.searchAll(q, limit))) kinds.add(g.kind)
    expect(kinds.size).toBeGreaterThan(4)
  })

  it('takes % _ and \\ literally, and finds nothing for what is not there', async () => {
    for (const q of ['%', '_', '\\', 'a_b', '"', 'ü', 'no-such-thing'])
      await onBoth(both, (m) => m.searchAll(q, 10))
    expect(await onBoth(both, (m) => m.searchAll('no-such-thing', 10))).toEqual([])
    const broad = await onBoth(both, (m) => m.searchAll('e', 2))
    expect(broad.some((g) => g.more)).toBe(true)
  })
})
