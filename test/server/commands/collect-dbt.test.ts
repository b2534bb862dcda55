import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { closeDb, openDb, type Db } from '../../../db/client.ts'
import { setDemoAnchor } from '../../../db/queries/admin.ts'
import { demoTargets } from '../../../server/demo.ts'
import { BAD_DAY, badDay } from '../alerts/helpers.ts'
import { collectDbt, recordedAt } from './helpers.ts'
import { dbOf } from '../../store-deps.ts'

const rows = <T>(db: Db, q: string) => db.$client.prepare(q).all() as T[]

let open: Db | undefined
afterEach(() => {
  if (open) closeDb(open)
  open = undefined
})

describe('collect dbt --db (no server)', () => {
  it('evaluates the products each collect touched and queues the bad day alerts, as serve does', async () => {
    const dbFile = join(mkdtempSync(join(tmpdir(), 'collect-dbt-')), 'm.db')
    // A demo store: scored as of the recording, on the demo clock (as serve scores it).
    const db = openDb(dbFile)
    setDemoAnchor(db, { recordedAt: await recordedAt(), loadedAt: new Date().toISOString() })
    closeDb(db)

    const evaluated = new Set<string>()
    for (const t of demoTargets('good')) {
      const stdout = await collectDbt(t.target, t.projectDir, dbFile)
      expect(stdout).toMatch(/^evaluated \d+ products \(\d+ stored\), 0 alerts queued$/m)
      open = openDb(dbFile)
      const scored = rows<{ id: string }>(open, 'select distinct product_id id from evaluations')
      const products = rows<{ id: string }>(
        open,
        `select id from products where domain = '${t.project}'`,
      )
      closeDb(open)
      open = undefined
      // what this collect touched was scored by it: every product of its project
      for (const p of products) expect(scored.map((s) => s.id)).toContain(p.id)
      for (const s of scored) evaluated.add(s.id)
    }
    expect(evaluated.size).toBeGreaterThan(0)

    let queued = 0
    for (const t of demoTargets('bad')) {
      const stdout = await collectDbt(t.target, t.projectDir, dbFile)
      queued += Number(/(\d+) alerts queued/.exec(stdout)?.[1])
    }
    open = openDb(dbFile)
    const latest = rows<{ id: string; status: string }>(
      open,
      `select product_id id, status from evaluations e
        where evaluated_at = (select max(evaluated_at) from evaluations where product_id = e.product_id)
        order by 1`,
    )
    expect(latest.filter((e) => e.status === 'breach').map((e) => e.id)).toEqual(
      Object.values(BAD_DAY).flat().sort(),
    )
    const alerts = rows<{ productId: string; status: string }>(
      open,
      'select product_id productId, status from alerts order by product_id',
    )
    expect(alerts.length).toBe(queued)
    expect(new Set(alerts.map((a) => a.productId))).toEqual(new Set(Object.values(BAD_DAY).flat()))
    expect(alerts.every((a) => a.status === 'pending')).toBe(true)
    // the same products alert as when the same builds reach serve's evaluator
    const served = await badDay()
    const servedAlerts = rows<{ productId: string }>(
      dbOf(served.deps),
      'select product_id productId from alerts order by product_id',
    )
    expect(alerts.map((a) => a.productId)).toEqual(servedAlerts.map((a) => a.productId))
    closeDb(dbOf(served.deps))
  })
})
