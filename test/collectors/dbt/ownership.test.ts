import { describe, expect, it } from 'vitest'
import { parseDbtArtifacts } from '../../../collectors/dbt/index.ts'

/**
 * A minimal v12 manifest envelope around the given nodes, groups and exposures: the input
 * under test for ownership rules, which no shared real manifest exercises (none has groups).
 */
function manifest(parts: { nodes?: object[]; groups?: object[]; exposures?: object[] }) {
  const byId = (items: object[] = []) =>
    Object.fromEntries(items.map((i) => [('unique_id' in i && i.unique_id) || '', i]))
  return {
    metadata: {
      dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json',
      generated_at: '2026-01-01T00:00:00Z',
      project_name: 'shop',
    },
    nodes: byId(parts.nodes),
    sources: {},
    groups: byId(parts.groups),
    exposures: byId(parts.exposures),
  }
}

const model = (name: string, extra: object = {}) => ({
  unique_id: `model.shop.${name}`,
  resource_type: 'model',
  package_name: 'shop',
  name,
  alias: name,
  database: 'db',
  schema: 'main',
  original_file_path: `models/${name}.sql`,
  depends_on: { nodes: [] },
  ...extra,
})

const group = (name: string, owner: object, extra: object = {}) => ({
  unique_id: `group.shop.${name}`,
  name,
  owner,
  ...extra,
})

const GROUPS = [
  group('finance_core', { name: 'Finance Team', email: 'fin@x' }),
  group('growth', { email: 'growth@x' }, { config: { meta: { domain: 'marketing' } } }),
]

const parse = (m: ReturnType<typeof manifest>) =>
  parseDbtArtifacts({ manifest: m }, { namespace: 'duckdb://x' })

describe('ownership precedence', () => {
  it.each([
    {
      name: 'the project is the default domain',
      node: model('a'),
      domain: 'shop',
      owner: undefined,
    },
    {
      name: 'a group makes its name the domain and its owner the owner',
      node: model('a', { group: 'finance_core' }),
      domain: 'finance_core',
      owner: 'Finance Team',
    },
    {
      name: 'a group owner without a name is its email',
      node: model('a', { config: { group: 'growth' } }),
      domain: 'marketing',
      owner: 'growth@x',
    },
    {
      name: 'meta.domain beats the group',
      node: model('a', { group: 'finance_core', meta: { domain: 'finance' } }),
      domain: 'finance',
      owner: 'Finance Team',
    },
    {
      name: 'config.meta.owner beats the group owner',
      node: model('a', { group: 'finance_core', config: { meta: { owner: 'ana@x' } } }),
      domain: 'finance_core',
      owner: 'ana@x',
    },
    {
      name: 'a list of owners is joined',
      node: model('a', { meta: { owner: ['a@x', 'b@x'] } }),
      domain: 'shop',
      owner: 'a@x, b@x',
    },
  ])('$name', ({ node, domain, owner }) => {
    const batch = parse(manifest({ nodes: [node], groups: GROUPS }))
    const ds = batch.datasets[0]
    expect(ds?.domain).toBe(domain)
    expect(ds?.owner).toBe(owner)
    expect(batch.jobs.find((j) => j.type === 'dbt_model')).toMatchObject({ domain })
    expect(batch.domains.map((d) => d.name)).toContain(domain)
  })

  it('gives a domain made from a group that group owner and description', () => {
    const batch = parse(
      manifest({
        nodes: [model('a', { group: 'finance_core' })],
        groups: [group('finance_core', { name: 'Finance Team' }, { description: 'Money.' })],
      }),
    )
    expect(batch.domains).toContainEqual({
      name: 'finance_core',
      owner: 'Finance Team',
      description: 'Money.',
    })
  })
})

describe('data products', () => {
  const sla = { freshness: { maxAgeHours: 24 } }
  it('makes each public model a product, with its version and SLA', () => {
    const batch = parse(
      manifest({
        nodes: [
          model('orders', {
            access: 'public',
            version: 2,
            alias: 'orders_v2',
            unique_id: 'model.shop.orders.v2',
            meta: { meshwatch: { sla } },
          }),
          model('stg_orders', { access: 'private' }),
        ],
      }),
    )
    expect(batch.products).toEqual([
      {
        id: 'shop.orders.v2',
        name: 'orders.v2',
        domain: 'shop',
        origin: 'dbt_public',
        outputs: [{ namespace: 'duckdb://x', name: 'db.main.orders_v2' }],
        sla,
      },
    ])
  })

  it('takes the SLA of the group when the model has none', () => {
    const batch = parse(
      manifest({
        nodes: [model('orders', { access: 'public', group: 'finance_core' })],
        groups: [
          group(
            'finance_core',
            { name: 'Finance Team' },
            { config: { meta: { meshwatch: { sla } } } },
          ),
        ],
      }),
    )
    expect(batch.products[0]).toMatchObject({
      id: 'finance_core.orders',
      owner: 'Finance Team',
      sla,
    })
  })

  it('groups models by meta.data_product into one product', () => {
    const batch = parse(
      manifest({
        nodes: [
          model('orders', { access: 'public', meta: { data_product: 'commerce', owner: 'o@x' } }),
          model('payments', { config: { meta: { data_product: 'commerce' } } }),
        ],
      }),
    )
    expect(batch.products).toEqual([
      {
        id: 'shop.commerce',
        name: 'commerce',
        domain: 'shop',
        origin: 'dbt_meta',
        owner: 'o@x',
        outputs: [
          { namespace: 'duckdb://x', name: 'db.main.orders' },
          { namespace: 'duckdb://x', name: 'db.main.payments' },
        ],
      },
    ])
  })

  it('makes an exposure a product whose outputs are what it reads', () => {
    const batch = parse(
      manifest({
        nodes: [model('orders')],
        exposures: [
          {
            unique_id: 'exposure.shop.kpis',
            name: 'kpis',
            label: 'KPI dashboard',
            package_name: 'shop',
            owner: { name: 'BI', email: 'bi@x' },
            depends_on: { nodes: ['model.shop.orders'] },
          },
        ],
      }),
    )
    expect(batch.products).toEqual([
      {
        id: 'shop.exposure.kpis',
        name: 'KPI dashboard',
        domain: 'shop',
        origin: 'dbt_exposure',
        owner: 'BI',
        outputs: [{ namespace: 'duckdb://x', name: 'db.main.orders' }],
      },
    ])
  })

  it('skips a malformed node with a warning naming it', () => {
    const batch = parse(
      manifest({ nodes: [model('ok'), { unique_id: 'model.shop.bad', resource_type: 'model' }] }),
    )
    expect(batch.datasets.map((d) => d.name)).toEqual(['db.main.ok'])
    expect(batch.warnings).toEqual([
      expect.stringMatching(/^manifest\.json: skipped model\.shop\.bad: /),
    ])
  })

  it('reads lineage through an ephemeral model', () => {
    const batch = parse(
      manifest({
        nodes: [
          model('raw'),
          model('eph', {
            config: { materialized: 'ephemeral' },
            depends_on: { nodes: ['model.shop.raw'] },
          }),
          model('final', { depends_on: { nodes: ['model.shop.eph'] } }),
        ],
      }),
    )
    expect(batch.datasets.map((d) => d.name)).toEqual(['db.main.raw', 'db.main.final'])
    expect(batch.edges.filter((e) => e.job.name === 'db.main.shop.final')).toEqual([
      {
        job: { namespace: 'default', name: 'db.main.shop.final' },
        dataset: { namespace: 'duckdb://x', name: 'db.main.raw' },
        direction: 'input',
      },
      {
        job: { namespace: 'default', name: 'db.main.shop.final' },
        dataset: { namespace: 'duckdb://x', name: 'db.main.final' },
        direction: 'output',
      },
    ])
  })
})
