import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { closeDb, openDb } from '../../../db/client.ts'
import { setDemoAnchor } from '../../../db/queries/admin.ts'
import { registerCollectJunit } from '../../../server/commands/collect-junit.ts'
import { registerCollectOpenLineage } from '../../../server/commands/collect-openlineage.ts'
import { demoTargets, FIXTURES } from '../../../server/demo.ts'
import { CONFIG_FILE, collectDbt, recordedAt, runCollect } from './helpers.ts'

/** A demo store (demo clock) holding the good day's sales project, evaluated by its collect. */
async function salesStore(): Promise<string> {
  const dbFile = join(mkdtempSync(join(tmpdir(), 'collect-')), 'm.db')
  const db = openDb(dbFile)
  setDemoAnchor(db, { recordedAt: await recordedAt(), loadedAt: new Date().toISOString() })
  closeDb(db)
  const sales = demoTargets('good').find((t) => t.project === 'sales')
  if (!sales) throw new Error('no demo sales project')
  await collectDbt(sales.target, sales.projectDir, dbFile)
  return dbFile
}

/** Each product's evaluations, oldest first, and the alerts in the outbox. */
function outcome(dbFile: string, product: string) {
  const db = openDb(dbFile)
  const statuses = db.$client
    .prepare('select status from evaluations where product_id = ? order by evaluated_at, id')
    .pluck()
    .all(product)
  const alerts = db.$client
    .prepare('select product_id productId, kind, status from alerts order by id')
    .all() as { productId: string; kind: string; status: string }[]
  closeDb(db)
  return { statuses, alerts }
}

describe('collect junit / openlineage --db (no server) evaluate what they stored', () => {
  it('junit: a failing pytest result on sales.orders breaches it and queues its alert', async () => {
    const dbFile = await salesStore()
    expect(outcome(dbFile, 'sales.orders')).toEqual({ statuses: ['ok'], alerts: [] })
    const stdout = await runCollect(registerCollectJunit, [
      'junit',
      join(FIXTURES, 'junit', 'pytest', 'junit-xunit1.xml'),
      '--db',
      dbFile,
      '--config',
      CONFIG_FILE,
    ])
    expect(stdout).toMatch(/^evaluated \d+ products \(\d+ stored\), [1-9]\d* alerts queued$/m)
    const after = outcome(dbFile, 'sales.orders')
    expect(after.statuses).toEqual(['ok', 'breach'])
    expect(after.alerts).toContainEqual({
      productId: 'sales.orders',
      kind: 'opened',
      status: 'pending',
    })
  })

  it("openlineage: the bad day's dbt-ol events of sales are scored chunk by chunk as stored", async () => {
    const dbFile = await salesStore()
    const stdout = await runCollect(registerCollectOpenLineage, [
      'openlineage',
      join(FIXTURES, 'openlineage', 'dbt-ol', 'bad', 'sales.ndjson'),
      '--db',
      dbFile,
      '--config',
      CONFIG_FILE,
    ])
    expect(stdout).toMatch(/^evaluated [1-9]\d* products \(\d+ stored\), \d+ alerts queued$/m)
    const after = outcome(dbFile, 'sales.orders')
    expect(after.statuses).toEqual(['ok', 'breach'])
    expect(after.alerts.map((a) => a.productId)).toContain('sales.orders')
  })
})
