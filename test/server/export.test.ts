import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { openDb } from '../../db/client.ts'
import { loadDemo } from '../../server/demo.ts'
import { exportStaticLineage } from '../../server/export.ts'
import { sqliteStore } from '../../db/store.ts'

const SPEC_DIR = join(import.meta.dirname, '../../../shared/real/openlineage/spec')
const haveSpec = existsSync(join(SPEC_DIR, 'OpenLineage.json'))

async function demoEvents() {
  const store = sqliteStore(openDb(':memory:'))
  await loadDemo({ store })
  const events: Record<string, unknown>[] = []
  for await (const e of exportStaticLineage(store, '2026-11-25T21:00:00.000Z')) events.push(e)
  return events
}

describe('meshwatch export (OpenLineage static lineage)', () => {
  it('writes a DatasetEvent per dataset, with its schema, then a JobEvent per job with inputs and outputs', async () => {
    const events = await demoEvents()
    const datasets = events.filter((e) => 'dataset' in e)
    const jobs = events.filter((e) => 'job' in e)
    expect(datasets.length).toBeGreaterThan(20)
    expect(jobs.length).toBeGreaterThan(20)
    expect(events.indexOf(jobs[0]!)).toBe(datasets.length)
    const orders = datasets.find(
      (e) => (e.dataset as { name: string }).name === 'mesh.sales.orders',
    )
    expect(orders).toMatchObject({
      dataset: {
        namespace: 'duckdb://mesh.duckdb',
        facets: {
          schema: {
            fields: expect.arrayContaining([{ name: 'order_id', type: expect.any(String) }]),
          },
        },
      },
    })
    const model = jobs.find((e) => (e.job as { name: string }).name === 'mesh.sales.sales.orders')
    expect(model).toMatchObject({
      outputs: [{ namespace: 'duckdb://mesh.duckdb', name: 'mesh.sales.orders' }],
    })
  })

  it.skipIf(!haveSpec)(
    'every event validates against the OpenLineage spec and its facet schemas',
    async () => {
      const ajv = new Ajv2020({ strict: false, allErrors: true })
      addFormats.default(ajv)
      ajv.addSchema(JSON.parse(readFileSync(join(SPEC_DIR, 'OpenLineage.json'), 'utf8')) as object)
      const facet = (f: string) =>
        JSON.parse(readFileSync(join(SPEC_DIR, 'facets', f), 'utf8')) as { $id: string }
      for (const f of [
        'SchemaDatasetFacet.json',
        'DocumentationDatasetFacet.json',
        'DocumentationJobFacet.json',
      ])
        ajv.addSchema(facet(f))
      const base = 'https://openlineage.io/spec/2-0-2/OpenLineage.json'
      const validateDataset = ajv.getSchema(`${base}#/$defs/DatasetEvent`)
      const validateJob = ajv.getSchema(`${base}#/$defs/JobEvent`)
      const facetSchema = (name: string) =>
        ajv.getSchema(`${facet(name).$id}#/$defs/${name.replace('.json', '')}`)
      for (const e of await demoEvents()) {
        const validate = 'dataset' in e ? validateDataset : validateJob
        expect(validate?.(e), JSON.stringify(validate?.errors)).toBe(true)
        const schema =
          'dataset' in e ? (e.dataset as { facets: { schema?: unknown } }).facets.schema : undefined
        if (schema)
          expect(facetSchema('SchemaDatasetFacet.json')?.(schema), JSON.stringify(e)).toBe(true)
      }
    },
  )
})
