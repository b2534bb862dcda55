import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { domainPage as pgDomainPage } from '../../db/pg/queries/domain-page.ts'
import * as liteDomainPage from '../../db/queries/domain-page.ts'
import { demoOnBoth } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/domain-page.ts and db/pg/queries/domain-page.ts on the demo store: the home's tiles
// and every domain's page (its good and bad day's trends), answers compared.

type M = typeof pgDomainPage
let db: Db
let pool: pg.Pool
let now: Date
let both: { sqlite: Bound<M>; pg: Bound<M> }

beforeAll(async () => {
  ;({ db, pool, now } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteDomainPage, db), pg: bindPg(pgDomainPage, pool) }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

describe('domain pages on both engines', () => {
  it('the tiles, with trends over 30 days and over none', async () => {
    const tiles = await onBoth(both, (m) => m.domainTiles(now))
    expect(tiles.some((t) => t.trend.length > 0)).toBe(true)
    expect(tiles.some((t) => t.providers.length > 0)).toBe(true)
    await onBoth(both, (m) => m.domainTiles(now, 0))
    await onBoth(both, (m) => m.domainTiles(new Date(now.getTime() + 86_400_000 * 40)))
  })

  it("every domain's page, cut at a limit, and none for an unknown domain", async () => {
    const tiles = await both.sqlite.domainTiles(now)
    let published = 0
    for (const t of [...tiles.map((x) => x.name), '(none)']) {
      const page = await onBoth(both, (m) => m.domainPage(t, now))
      published += page?.published.length ?? 0
      await onBoth(both, (m) => m.domainPage(t, now, 1, 1))
    }
    expect(published).toBeGreaterThan(0)
    expect(await onBoth(both, (m) => m.domainPage('no-such', now))).toBeUndefined()
  })
})
