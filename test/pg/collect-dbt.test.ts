import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openStore } from '../../db/open-store.ts'
import type { Store } from '../../db/store.ts'
import { demoTargets } from '../../server/demo.ts'
import { BAD_DAY } from '../server/alerts/helpers.ts'
import { collectDbt, recordedAt } from '../server/commands/helpers.ts'
import { createDatabase } from './helpers.ts'

// `meshwatch collect dbt … --db postgres://…` (the command as the CLI runs it, in this process):
// each collect stores its build and evaluates the products it touched in the same transaction,
// queueing the bad day's alerts and opening its incidents, as the same collects do on a SQLite
// file (test/server/commands/collect-dbt.test.ts). The demo clock runs on the wall clock, so the
// two stores are compared by what does not move with it: statuses, alerts, incidents.

/** A new store with the demo's anchor, so both score as of the recording. */
async function demoStore(spec: string, at: string): Promise<void> {
  const store = await openStore(spec, { source: '--db' })
  await store.admin.setDemoAnchor({ recordedAt: at, loadedAt: new Date().toISOString() })
  await store.close()
}

/** What the evaluator wrote, without the times (the wall clock moves between the two runs). */
async function outcome(spec: string) {
  const store: Store = await openStore(spec, { source: '--db' })
  try {
    const products = await store.catalog.listProducts({})
    const latest = []
    for (const p of products) {
      const [e] = await store.qualityStore.evaluationHistory(p.id, 1)
      latest.push({
        id: p.id,
        status: e?.status,
        dimensions: e?.dimensions.map((d) => [d.dimension, d.status]),
        rootCause: e?.rootCause?.culprit.name ?? null,
      })
    }
    const alerts = (await store.alerts.listAlerts({ limit: 1000 })).map((a) => ({
      productId: a.productId,
      kind: a.kind,
      severity: a.severity,
      status: a.status,
    }))
    const incidents = (await store.incidents.listIncidents({})).map((i) => ({
      productId: i.productId,
      status: i.status,
      severity: i.severity,
    }))
    return { latest, alerts, incidents }
  } finally {
    await store.close()
  }
}

const line = (stdout: string) =>
  /^evaluated \d+ products \(\d+ stored\), \d+ alerts queued$/m.exec(stdout)?.[0]

describe('collect dbt --db postgres://… (no server)', () => {
  it('stores and evaluates what each collect touched, queueing the bad day alerts, as on SQLite', async () => {
    const url = await createDatabase()
    const file = join(mkdtempSync(join(tmpdir(), 'collect-dbt-pg-')), 'm.db')
    const at = await recordedAt()
    await demoStore(url, at)
    await demoStore(file, at)

    let queued = 0
    for (const day of ['good', 'bad'] as const)
      for (const t of demoTargets(day)) {
        const onPg = await collectDbt(t.target, t.projectDir, url)
        const onFile = await collectDbt(t.target, t.projectDir, file)
        expect(line(onPg), `${day} ${t.project}`).toBeDefined()
        expect(line(onPg), `${day} ${t.project}`).toBe(line(onFile))
        if (day === 'good') expect(onPg).toMatch(/, 0 alerts queued$/m)
        queued += Number(/(\d+) alerts queued/.exec(onPg)?.[1])
      }

    const pg = await outcome(url)
    expect(pg).toEqual(await outcome(file))
    expect(pg.latest.filter((e) => e.status === 'breach').map((e) => e.id)).toEqual(
      Object.values(BAD_DAY).flat().sort(),
    )
    expect(pg.alerts).toHaveLength(queued)
    expect(new Set(pg.alerts.map((a) => a.productId))).toEqual(
      new Set(Object.values(BAD_DAY).flat()),
    )
    expect(pg.incidents.length).toBeGreaterThan(0)
  })
})
