import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readDbtTarget } from '../../collectors/dbt/index.ts'
import { loadConfigFile, resolveSlackRoute } from '../../server/config-file.ts'
import { evaluateProducts } from '../../server/evaluate.ts'
import { domainBatch, NOW, setupApp } from './helpers.ts'
import { sqliteStore } from '../../db/store.ts'

// Keys a client chooses (SLA fields, facet names, dbt meta, config map keys) that name members of
// Object.prototype must be read as the client's own data or as absent, never as the prototype's.
const PROTO_KEYS = ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__'] as const

/** JSON text whose object has `key` as an own property (a literal `{__proto__: …}` would not). */
const slaWith = (key: string, value: unknown) =>
  JSON.parse(
    `{${JSON.stringify(key)}: ${JSON.stringify(value)}, "freshness": {"max_age_hours": 24}}`,
  ) as Record<string, unknown>

const tmp: string[] = []
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true })
})

describe('an SLA keyed by an Object.prototype name', () => {
  it.each(PROTO_KEYS)(
    'via POST /api/batches (%s): stored, ignored with a warning, every product still evaluates',
    async (key) => {
      const { app, db, post } = setupApp()
      expect((await post('/api/batches', domainBatch('finance'))).status).toBe(201)
      const b = domainBatch('sales')
      b.products[0]!.sla = slaWith(key, 1)
      expect((await post('/api/batches', b)).status).toBe(201)

      const res = await app.request('/api/products/sales.orders')
      const text = await res.text()
      expect(res.status, text).toBe(200)
      const body = JSON.parse(text) as {
        effectiveSla: Record<string, unknown> & { warnings: string[] }
      }
      expect(body.effectiveSla.freshness).toMatchObject({
        max_age_hours: { value: 24, source: 'dbt_meta' },
      })
      if (key !== '__proto__') {
        expect(body.effectiveSla.warnings).toContain(
          `dbt meta.meshwatch.sla.${key}: unknown key, ignored`,
        )
        expect(Object.hasOwn(body.effectiveSla, key)).toBe(false)
      }

      const { evaluations } = await evaluateProducts({ store: sqliteStore(db), now: () => NOW })
      expect(evaluations.map((e) => e.productId).sort()).toEqual(['finance.orders', 'sales.orders'])
      const list = await app.request('/api/products')
      expect(list.status).toBe(200)
    },
  )

  it.each(PROTO_KEYS)(
    'nested in a dimension (freshness.%s): that dimension is ignored with a warning',
    async (key) => {
      const { app, post } = setupApp()
      const b = domainBatch('sales')
      b.products[0]!.sla = JSON.parse(
        `{"freshness": {"max_age_hours": 2, ${JSON.stringify(key)}: 1}, "volume": {"min_rows": 3}}`,
      ) as Record<string, unknown>
      expect((await post('/api/batches', b)).status).toBe(201)
      const res = await app.request('/api/products/sales.orders')
      expect(res.status).toBe(200)
      const body = (await res.json()) as { effectiveSla: Record<string, Record<string, unknown>> }
      expect(body.effectiveSla.volume).toMatchObject({ min_rows: { value: 3, source: 'dbt_meta' } })
    },
  )

  it('via dbt meta.meshwatch.sla in a real manifest: collected, posted, the product answers 200', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-proto-'))
    tmp.push(dir)
    const target = join(dir, 'target')
    cpSync(new URL('../../fixtures/dbt/good/sales/target', import.meta.url), target, {
      recursive: true,
    })
    const file = join(target, 'manifest.json')
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
      nodes: Record<
        string,
        { config: { meta: { meshwatch: { sla: Record<string, unknown> } } }; meta?: unknown }
      >
    }
    const node = manifest.nodes['model.sales.orders']!
    const sla = {
      toString: 1,
      constructor: { max_age_hours: 1 },
      hasOwnProperty: true,
      ...node.config.meta.meshwatch.sla,
    }
    node.config.meta.meshwatch.sla = sla
    if (node.meta) node.meta = node.config.meta
    writeFileSync(file, JSON.stringify(manifest))

    const batch = await readDbtTarget(target, { namespace: 'duckdb://mesh' })
    const { app, post } = setupApp()
    expect((await post('/api/batches', batch)).status).toBe(201)
    const res = await app.request('/api/products/sales.orders')
    const text = await res.text()
    expect(res.status, text).toBe(200)
    const body = JSON.parse(text) as { effectiveSla: { freshness: unknown; warnings: string[] } }
    expect(body.effectiveSla.freshness).toMatchObject({
      max_age_hours: { value: 24, source: 'dbt_meta' },
    })
    expect(body.effectiveSla.warnings).toEqual(
      expect.arrayContaining(
        ['toString', 'constructor', 'hasOwnProperty'].map(
          (k) => `dbt meta.meshwatch.sla.${k}: unknown key, ignored`,
        ),
      ),
    )
  })
})

describe('other maps keyed by client-chosen names', () => {
  it('a dbt project whose profile is named toString is refused naming the profile, not a TypeError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-proto-'))
    tmp.push(dir)
    const target = join(dir, 'target')
    cpSync(new URL('../../fixtures/dbt/good/sales/target', import.meta.url), target, {
      recursive: true,
    })
    writeFileSync(join(dir, 'dbt_project.yml'), 'name: sales\nprofile: toString\n')
    writeFileSync(
      join(dir, 'profiles.yml'),
      'sales:\n  target: dev\n  outputs:\n    dev: { type: duckdb, path: x.duckdb }\n',
    )
    await expect(readDbtTarget(target, { profilesDir: dir, projectDir: dir })).rejects.toThrow(
      /no profile 'toString'/,
    )
  })

  it.each(PROTO_KEYS)(
    'meshwatch.yml routes: an unconfigured domain named %s gets the default route',
    (name) => {
      const dir = mkdtempSync(join(tmpdir(), 'mw-proto-'))
      tmp.push(dir)
      const file = join(dir, 'meshwatch.yml')
      writeFileSync(
        file,
        'slack: { webhook_env: SLACK_DEFAULT, channel: "#platform" }\ndomains:\n  sales: { owner: s@example.com }\n',
      )
      expect(resolveSlackRoute(loadConfigFile(file), name, 'breach')).toEqual({
        webhookEnv: 'SLACK_DEFAULT',
        channel: '#platform',
        from: 'default',
      })
    },
  )

  it('OpenLineage facets named after Object.prototype members are kept as facets, never a 5xx', async () => {
    const { app, post } = setupApp()
    const facets = JSON.parse(
      '{"toString": {"_producer": "x", "_schemaURL": "https://e/x"}, "__proto__": {"_producer": "x", "_schemaURL": "https://e/y"}, "constructor": {"_producer": "x", "_schemaURL": "https://e/z"}}',
    ) as unknown
    const event = {
      eventType: 'COMPLETE',
      eventTime: NOW.toISOString(),
      producer: 'https://example.com/p',
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
      run: { runId: '01920000-0000-7000-8000-000000000001', facets },
      job: { namespace: 'default', name: 'proto.job', facets },
      inputs: [],
      outputs: [{ namespace: 'duckdb://mesh', name: 'mesh.proto.out', facets }],
    }
    const res = await post('/api/v1/lineage', event)
    expect(res.status, await res.text()).toBeLessThan(300)
    const events = await app.request('/api/runs/01920000-0000-7000-8000-000000000001/events')
    expect(events.status).toBe(200)
    const found = await app.request(
      '/api/datasets?namespace=duckdb%3A%2F%2Fmesh&name=mesh.proto.out',
    )
    expect(found.status).toBe(200)
  })
})
