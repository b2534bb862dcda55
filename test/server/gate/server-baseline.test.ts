import { describe, expect, it } from 'vitest'
import { openDb } from '../../../db/client.ts'
import { createApp } from '../../../server/app.ts'
import { UsageError } from '../../../server/commands/shared.ts'
import { evaluateGate } from '../../../server/gate/evaluate.ts'
import { fetchBaseline } from '../../../server/gate/fetch-baseline.ts'
import { ingestBatch } from '../../../server/ingest.ts'
import { EMPTY_CONFIG } from '../../../server/config-file.ts'
import { regressionsOf } from '../../../server/gate/types.ts'
import { goodMesh, readTarget, variantDir } from './helpers.ts'
import { sqliteStore } from '../../../db/store.ts'

async function serverWithGoodMesh() {
  const db = openDb(':memory:')
  for (const b of await goodMesh()) await ingestBatch({ store: sqliteStore(db) }, b)
  const app = createApp({ store: sqliteStore(db), now: () => new Date('2026-11-26T00:00:00Z') })
  const fetchApp: typeof fetch = (input, init) => Promise.resolve(app.request(String(input), init))
  return { app, fetchApp }
}

describe('GET /api/gate/baseline', () => {
  it('answers the latest batch of every collected dbt project', async () => {
    const { app } = await serverWithGoodMesh()
    const res = await app.request('/api/gate/baseline?project=sales')
    expect(res.status).toBe(200)
    const body = (await res.json()) as { project: string; batches: { scope: string }[] }
    expect(body.batches.map((b) => b.scope).sort()).toEqual([
      'dbt:finance',
      'dbt:marketing',
      'dbt:product',
      'dbt:sales',
    ])
  })

  it('answers 404 for a project it never collected and 400 without one', async () => {
    const { app } = await serverWithGoodMesh()
    expect((await app.request('/api/gate/baseline?project=hr')).status).toBe(404)
    expect((await app.request('/api/gate/baseline')).status).toBe(400)
  })

  it('gives `gate --server` the same verdict as the baseline dirs', async () => {
    const { fetchApp } = await serverWithGoodMesh()
    const { batches } = await fetchBaseline('http://meshwatch.test', 'sales', { fetch: fetchApp })
    const report = evaluateGate({
      current: await readTarget(variantDir('breaking')),
      baseline: batches,
      baselineLabel: 'server',
      config: EMPTY_CONFIG,
      now: new Date(),
    })
    const breaking = regressionsOf(report).find((c) => c.category === 'breaking-change')
    expect(new Set(breaking?.consumers?.map((c) => c.domain))).toEqual(
      new Set(['finance', 'marketing', 'sales']),
    )
  })

  it('refuses an unknown project as bad input', async () => {
    const { fetchApp } = await serverWithGoodMesh()
    await expect(fetchBaseline('http://meshwatch.test', 'hr', { fetch: fetchApp })).rejects.toThrow(
      UsageError,
    )
    await expect(fetchBaseline('http://meshwatch.test', 'hr', { fetch: fetchApp })).rejects.toThrow(
      /404: no dbt project hr/,
    )
  })
})
