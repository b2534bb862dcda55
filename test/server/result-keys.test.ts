import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readDbtTarget } from '../../collectors/dbt/read.ts'
import { openDb } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { DEMO_JOB_NAMESPACE, FIXTURES } from '../../server/demo.ts'
import { ingestBatch } from '../../server/ingest.ts'
import { sqliteStore } from '../../db/store.ts'

const project = 'sales'
const events = readFileSync(join(FIXTURES, 'openlineage', 'dbt-ol', `${project}.ndjson`), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')

const collectDbt = () =>
  readDbtTarget(join(FIXTURES, 'dbt', 'good', project, 'target'), {
    projectDir: join(FIXTURES, 'dbt', 'projects', project),
    profilesDir: join(FIXTURES, 'dbt', 'projects', project),
    jobNamespace: DEMO_JOB_NAMESPACE,
    env: {},
  })

describe('test results from dbt-ol and from dbt artifacts', () => {
  it.each(['dbt-ol first', 'dbt first'])('end up under one key per test when %s', async (order) => {
    const db = openDb(':memory:')
    const app = createApp({ store: sqliteStore(db) })
    const postEvents = async () => {
      for (const e of events) {
        const res = await app.request('/api/v1/lineage', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: e,
        })
        expect(res.status).toBeLessThan(300)
      }
    }
    const batch = await collectDbt()
    if (order === 'dbt-ol first') {
      await postEvents()
      await ingestBatch({ store: sqliteStore(db) }, batch)
    } else {
      await ingestBatch({ store: sqliteStore(db) }, batch)
      await postEvents()
    }
    const perTest = db.$client
      .prepare(
        'select name, count(distinct key) keys from assertions group by name having keys > 1',
      )
      .all()
    expect(perTest).toEqual([])
    const testNames = new Set(batch.checks.map((c) => c.name))
    const named = db.$client.prepare('select distinct name from assertions').all() as {
      name: string
    }[]
    expect(named.filter((r) => !testNames.has(r.name))).toEqual([])
  })
})
