import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { emptyBatch } from '../../collectors/batch.ts'
import { openDb } from '../../db/client.ts'
import { SEARCH_KINDS } from '../../db/queries/search.ts'
import { createToken } from '../../db/queries/tokens.ts'
import { createApp } from '../../server/app.ts'
import { loadConfigFile } from '../../server/config-file.ts'
import type { Deps } from '../../server/deps.ts'
import { FIXTURES, loadDemo } from '../../server/demo.ts'
import { ingestBatch } from '../../server/ingest.ts'
import { sqliteStore } from '../../db/store.ts'
import { dbOf } from '../store-deps.ts'

// GET /api/search (#20) on the recorded demo mesh, plus one domain whose names are LIKE's
// wildcards and JSON's escapes, so a pattern that is not escaped would be seen to match too much.
type Hit = {
  kind: string
  id: string
  name: string
  domain: string | null
  detail: string | null
  target: string | null
}
type Answer = { q: string; groups: { kind: string; more: boolean; hits: Hit[] }[] }

const NOW = new Date('2026-11-25T20:45:00Z')
let deps: Deps
let app: ReturnType<typeof createApp>

async function search(q: string, limit?: number): Promise<Answer> {
  const qs = new URLSearchParams({ q, ...(limit === undefined ? {} : { limit: String(limit) }) })
  const res = await app.request(`/api/search?${qs}`)
  expect(res.status).toBe(200)
  return (await res.json()) as Answer
}
const group = (a: Answer, kind: string) => a.groups.find((g) => g.kind === kind)?.hits ?? []

function wildcardBatch() {
  const b = emptyBatch('dbt', 'dbt:wild')
  b.domains.push({ name: 'wild', owner: 'Wild 100% Team' })
  b.datasets.push({
    namespace: 'duckdb://wild',
    name: 'wild.pct.share_100%_done',
    domain: 'wild',
    columns: [{ name: 'say_"hi"' }, { name: 'back\\slash' }, { name: 'a_b' }],
  })
  return b
}

beforeAll(async () => {
  deps = {
    store: sqliteStore(openDb(':memory:')),
    meshwatch: loadConfigFile(join(FIXTURES, 'meshwatch.yml')),
    now: () => NOW,
  }
  await loadDemo(deps)
  await ingestBatch(deps, wildcardBatch())
  app = createApp(deps)
}, 60_000)

describe('GET /api/search on the demo mesh', () => {
  it.each([
    { kind: 'product', q: 'orders', id: 'sales.orders', domain: 'sales' },
    { kind: 'product', q: 'KPI dash', id: 'sales.exposure.sales_kpi_dashboard', domain: 'sales' },
    { kind: 'domain', q: 'fin', id: 'finance', domain: 'finance' },
    { kind: 'owner', q: 'Growth Marketing', id: 'Growth Marketing Analytics', domain: 'marketing' },
    { kind: 'dataset', q: 'stg_sales__orders', name: 'mesh.sales.stg_sales__orders' },
    { kind: 'column', q: 'amount_eur', name: 'amount_eur', detail: 'mesh.sales.orders' },
    { kind: 'dag', q: 'finance_ledger', name: 'finance_ledger', detail: 'airflow_dag' },
    { kind: 'job', q: 'load_ledger', name: 'finance_ledger.load_ledger', detail: 'airflow_task' },
  ])('finds a $kind by "$q", best match first', async ({ kind, q, ...want }) => {
    const [first] = group(await search(q), kind)
    expect(first).toMatchObject({ kind, ...want })
  })

  it('opens a DAG and a job by their job id, a column by its dataset, an owner by its domain', async () => {
    const db = dbOf(deps).$client
    const dag = group(await search('finance_ledger'), 'dag')[0]
    expect(db.prepare('select type from jobs where id = ?').get(Number(dag?.id))).toEqual({
      type: 'airflow_dag',
    })
    const column = group(await search('amount_eur'), 'column')[0]
    expect(
      db.prepare('select name from datasets where id = ?').get(Number(column?.target)),
    ).toEqual({ name: 'mesh.sales.orders' })
    expect(group(await search('Growth Marketing'), 'owner')[0]?.target).toBe('marketing')
  })

  it('groups hits by kind in one fixed order, each hit under its own kind, no empty group', async () => {
    const a = await search('sales', 25)
    const kinds = a.groups.map((g) => g.kind)
    expect(kinds).toEqual(SEARCH_KINDS.filter((k) => kinds.includes(k)))
    expect(kinds).toEqual(expect.arrayContaining(['product', 'domain', 'owner', 'dataset', 'dag']))
    for (const g of a.groups) {
      expect(g.hits.length).toBeGreaterThan(0)
      for (const h of g.hits) expect(h.kind).toBe(g.kind)
    }
    // the exact dataset name's last segment outranks names that merely contain it
    expect(group(await search('orders'), 'dataset')[0]?.name).toBe('mesh.sales.orders')
  })

  it('ignores case', async () => {
    expect(group(await search('FINANCE_LEDGER'), 'dag')[0]?.name).toBe('finance_ledger')
  })

  it('takes % and _ literally', async () => {
    expect((await search('s_les')).groups).toEqual([])
    const pct = await search('100%')
    expect(pct.groups.map((g) => [g.kind, g.hits.map((h) => h.name)])).toEqual([
      ['owner', ['Wild 100% Team']],
      ['dataset', ['wild.pct.share_100%_done']],
    ])
    const underscore = await search('_', 25)
    expect(underscore.groups.length).toBeGreaterThan(0)
    for (const h of underscore.groups.flatMap((g) => g.hits)) expect(h.name + h.id).toContain('_')
    expect(group(await search('a_b'), 'column').map((h) => h.name)).toEqual(['a_b'])
  })

  it('finds columns whose names JSON escapes (quote, backslash)', async () => {
    expect(group(await search('"hi"'), 'column').map((h) => h.name)).toEqual(['say_"hi"'])
    expect(group(await search('k\\s'), 'column').map((h) => h.name)).toEqual(['back\\slash'])
  })

  it('answers at most limit hits per kind and says when there are more', async () => {
    const one = await search('sales', 1)
    for (const g of one.groups) expect(g.hits).toHaveLength(1)
    expect(one.groups.find((g) => g.kind === 'dataset')?.more).toBe(true)
    const many = await search('sales', 25)
    expect(group(many, 'dataset').length).toBeGreaterThan(1)
    expect(group(one, 'dataset')[0]).toEqual(group(many, 'dataset')[0])
  })

  it('defaults to 8 hits per kind', async () => {
    expect(group(await search('_'), 'column')).toHaveLength(8)
  })

  it('trims the query and answers nothing for a name that is nowhere', async () => {
    expect((await search('  orders  ')).q).toBe('orders')
    expect((await search('no-such-thing-anywhere')).groups).toEqual([])
  })

  it.each([
    { name: 'no q', qs: '', path: '$.q' },
    { name: 'an empty q', qs: 'q=', path: '$.q' },
    { name: 'a q of spaces', qs: 'q=%20%20', path: '$.q' },
    { name: 'a q over 100 characters', qs: `q=${'x'.repeat(101)}`, path: '$.q' },
    { name: 'limit 0', qs: 'q=a&limit=0', path: '$.limit' },
    { name: 'limit over 25', qs: 'q=a&limit=26', path: '$.limit' },
    { name: 'a limit that is not a number', qs: 'q=a&limit=ten', path: '$.limit' },
  ])('answers 400 naming the field for $name', async ({ qs, path }) => {
    const res = await app.request(`/api/search?${qs}`)
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { code: string; path: string } }
    expect(body.error).toMatchObject({ code: 'invalid_request', path })
  })

  it("needs a read token when auth is on; a domain's token finds every domain, as reads do", async () => {
    const db = openDb(':memory:')
    const scoped = { store: sqliteStore(db), meshwatch: deps.meshwatch, now: () => NOW }
    await ingestBatch(scoped, wildcardBatch())
    const { token } = createToken(db, {
      name: 'sales reader',
      scope: 'read',
      domain: 'sales',
      now: NOW.toISOString(),
    })
    const authed = createApp({ ...scoped, auth: { mode: 'required', publicRead: false } })
    expect((await authed.request('/api/search?q=wild')).status).toBe(401)
    const res = await authed.request('/api/search?q=wild', {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as Answer
    expect(body.groups.find((g) => g.kind === 'domain')?.hits[0]?.id).toBe('wild')
  })
})
