import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Batch } from '../../collectors/batch.ts'
import { readDbtTarget } from '../../collectors/dbt/read.ts'
import { closeDb, type Db } from '../../db/client.ts'
import { rootCauseColumns as pgRootCauseColumns } from '../../db/pg/queries/root-cause-columns.ts'
import { pgStore } from '../../db/pg/store.ts'
import * as liteRootCauseColumns from '../../db/queries/root-cause-columns.ts'
import { sqliteStore, type Store } from '../../db/store.ts'
import { DEMO_JOB_NAMESPACE, demoTargets } from '../../server/demo.ts'
import { shiftBatch } from '../../server/demo-timeline.ts'
import type { Deps } from '../../server/deps.ts'
import { createEvaluator, evaluateProducts } from '../../server/evaluate.ts'
import { ingestBatch } from '../../server/ingest.ts'
import { CONFIG } from '../server/alerts/helpers.ts'
import { demoOnBoth, productIdsOf } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// The evaluator (server/evaluate.ts) on both engines, on the demo store's bad day: the same
// evaluations (status, score and reason of every dimension, root cause), and the same rows it
// writes (evaluation history, alert episodes and outbox, incidents, their transitions and
// consumers), evaluated later (reminders), then after a newer good day is ingested with the
// evaluator as afterWrite, in the writer's transaction (recoveries, incidents resolved).

type M = typeof pgRootCauseColumns
let db: Db
let pool: pg.Pool
let now: Date
let both: { sqlite: Bound<M>; pg: Bound<M> }
let lite: Store
let onPg: Store
let productIds: string[]

beforeAll(async () => {
  ;({ db, pool, now } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteRootCauseColumns, db), pg: bindPg(pgRootCauseColumns, pool) }
  lite = sqliteStore(db)
  onPg = pgStore(pool)
  productIds = productIdsOf(db)
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

const HOUR = 3_600_000

/** Everything the evaluator writes, read back through the store (contract-tested readers). */
async function written(store: Store) {
  const incidents = await store.incidents.listIncidents({})
  return {
    history: await Promise.all(productIds.map((id) => store.qualityStore.evaluationHistory(id))),
    // a map: compared by product
    episodes: [...(await store.alerts.openEpisodes(productIds))].sort(([x], [y]) =>
      x.localeCompare(y),
    ),
    alerts: await store.alerts.listAlerts({ limit: 1000 }),
    incidents,
    transitions: await Promise.all(incidents.map((i) => store.incidents.transitionsOf(i.id))),
    consumers: await Promise.all(incidents.map((i) => store.incidents.consumersOf(i.id))),
  }
}

const depsOn = (store: Store, at: Date): Deps => ({ store, meshwatch: CONFIG, now: () => at })

/** The good day's dbt builds as recorded, moved to `ms` after the bad day. */
async function goodDayAfter(ms: number): Promise<Batch[]> {
  const out: Batch[] = []
  for (const t of demoTargets('good')) {
    const b = await readDbtTarget(t.target, {
      projectDir: t.projectDir,
      profilesDir: t.projectDir,
      jobNamespace: DEMO_JOB_NAMESPACE,
      env: {},
    })
    const shift = now.getTime() + ms - Date.parse(b.producedAt ?? '')
    out.push(shiftBatch(b, shift))
  }
  return out
}

describe('root-cause column edges on both engines', () => {
  it('reads the edges among any datasets alike, each once, in one order', async () => {
    const ids = (
      db.$client.prepare('select id from datasets order by id').all() as { id: number }[]
    )
      .map((r) => r.id)
      .reverse()
    const all = await onBoth(both, (m) => m.columnEdgesAmong(ids))
    expect(all.length).toBeGreaterThan(0)
    expect(all.some((e) => !e.direct)).toBe(true)
    expect(new Set(all.map((e) => JSON.stringify(e))).size).toBe(all.length)
    // half the datasets: only the edges with both ends among them
    const half = ids.filter((_, i) => i % 2 === 0)
    const some = await onBoth(both, (m) => m.columnEdgesAmong(half))
    const inHalf = new Set(half.map((id) => `dataset:${id}`))
    expect(some.every((e) => inHalf.has(e.source) && inHalf.has(e.target))).toBe(true)
    expect(some.length).toBeLessThan(all.length)
    expect(await onBoth(both, (m) => m.columnEdgesAmong([]))).toEqual([])
  })
})

describe('the evaluator on both engines', () => {
  it('scores, explains and writes the same on the demo store, then after an ingest, in its transaction', async () => {
    expect(await written(onPg)).toEqual(await written(lite))

    // later: reminders are due, heartbeats stored
    const later = new Date(now.getTime() + 5 * HOUR)
    const a = await evaluateProducts(depsOn(lite, later))
    const b = await evaluateProducts(depsOn(onPg, later))
    expect(JSON.parse(JSON.stringify(b.evaluations))).toEqual(
      JSON.parse(JSON.stringify(a.evaluations)),
    )
    expect({ written: b.written, alerts: b.alerts, incidents: b.incidents }).toEqual({
      written: a.written,
      alerts: a.alerts,
      incidents: a.incidents,
    })
    expect(a.evaluations.filter((e) => e.status === 'breach').length).toBeGreaterThan(0)
    expect(a.evaluations.some((e) => e.rootCause?.culprit)).toBe(true)
    expect(a.alerts.length).toBeGreaterThan(0)
    const afterReminders = await written(lite)
    expect(afterReminders.alerts.some((x) => x.kind === 'reminder')).toBe(true)
    expect(await written(onPg)).toEqual(afterReminders)

    // a newer good day, ingested with the evaluator as afterWrite: recovered, incidents resolved
    const batches = await goodDayAfter(6 * HOUR)
    const at = new Date(now.getTime() + 6 * HOUR + 5 * 60_000)
    const summaries = new Map<Store, unknown[]>([
      [lite, []],
      [onPg, []],
    ])
    for (const store of [lite, onPg]) {
      const deps = depsOn(store, at)
      const evaluator = createEvaluator(deps)
      const withHook: Deps = {
        ...deps,
        afterWrite: async (w, tx) =>
          void summaries.get(store)?.push(await evaluator.afterWrite(w, tx)),
      }
      for (const batch of batches) await ingestBatch(withHook, batch)
    }
    expect(summaries.get(onPg)).toEqual(summaries.get(lite))
    expect(summaries.get(lite)).toHaveLength(batches.length)
    expect(summaries.get(lite)?.every((s) => s !== undefined)).toBe(true)
    const recovered = await written(lite)
    expect(recovered.alerts.some((x) => x.kind === 'recovered')).toBe(true)
    expect(recovered.incidents.some((i) => i.status === 'resolved')).toBe(true)
    expect(await written(onPg)).toEqual(recovered)
  })
})
