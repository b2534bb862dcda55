import { describe, expect, it } from 'vitest'
import { NOW } from './helpers.ts'
import { datasetRow, DEMO_NS, demoApp, JOB_NS } from './demo-store.ts'

// Issue 14, "check-then-write gap": single OpenLineage POSTs are grouped into one transaction a
// moment after they are answered for. A domain check done when the request arrives could pass,
// another request could then give the dataset to another domain, and the grouped write would
// land on that domain's dataset. The check has to run inside the write's own transaction.

const T = NOW.toISOString()
const FACET = {
  _producer: 'https://github.com/meshwatch/test',
  _schemaURL: 'https://openlineage.io/spec/facets/1-0-0/Facet.json',
}
const TARGET = { namespace: DEMO_NS, name: 'mesh.shared.contested' }

const financeEvent = (runId: string) => ({
  eventType: 'COMPLETE',
  eventTime: T,
  producer: 'https://github.com/meshwatch/test',
  schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
  run: { runId },
  job: { namespace: JOB_NS, name: 'finance.contest' },
  inputs: [],
  outputs: [
    { ...TARGET, facets: { schema: { ...FACET, fields: [{ name: 'pwned', type: 'int' }] } } },
  ],
})

const salesClaim = {
  kind: 'dbt',
  scope: 'sales-claim',
  datasets: [{ ...TARGET, domain: 'sales', columns: [{ name: 'order_id', type: 'int' }] }],
}

describe('a domain check and its write are one transaction', () => {
  it('an event checked before another request gives its dataset to sales does not write it after', async () => {
    const { db, post, finance, sales } = await demoApp()
    // Both requests in flight at once: finance's event is checked on arrival (the dataset is
    // unowned then), sales claims the dataset, then finance's grouped write commits.
    const [ev, claim] = await Promise.all([
      post('/api/v1/lineage', financeEvent('01900000-0000-7000-8000-00000000c001'), finance),
      post('/api/batches', salesClaim, sales),
    ])
    expect(claim.status).toBe(201)
    expect([201, 403]).toContain(ev.status)
    const row = datasetRow(db, TARGET)
    expect(row?.domain).toBe('sales')
    // Whichever committed first, finance never wrote sales' dataset: its columns are sales'.
    expect(JSON.parse(row?.columns ?? '[]')).toEqual([{ name: 'order_id', type: 'int' }])
    const versions = db.$client
      .prepare('select columns from dataset_versions where dataset_id = ? order by id')
      .all(row?.id) as { columns: string }[]
    expect(versions.at(-1)?.columns).not.toContain('pwned')
  })
})
