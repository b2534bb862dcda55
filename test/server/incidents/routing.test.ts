import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseContractText } from '../../../collectors/contracts/read.ts'
import { readDbtTarget } from '../../../collectors/dbt/read.ts'
import { openDb } from '../../../db/client.ts'
import { ingestContracts } from '../../../server/contracts/ingest.ts'
import { MeshwatchConfigSchema, type MeshwatchConfig } from '../../../server/config-file.ts'
import { DEMO_JOB_NAMESPACE, demoTargets, FIXTURES } from '../../../server/demo.ts'
import { ingestBatch } from '../../../server/ingest.ts'
import { quietMsLeft } from '../../../server/incidents/quiet-hours.ts'
import { routesOf } from '../../../server/incidents/routing.ts'
import { productTagsOf } from '../../../server/incidents/tags.ts'
import { badDayCopy, CONFIG, testDispatcher } from '../alerts/helpers.ts'
import { startReceiver } from '../alerts/receiver.ts'
import { evaluateAs, HOUR } from './helpers.ts'
import { startReceivers } from './receivers.ts'
import { dbOf } from '../../store-deps.ts'

const SECRET = 'whsec-routing-0123456789'
const hook = (extra: Record<string, unknown> = {}) => ({
  type: 'webhook',
  url_env: 'HOOK_URL',
  secret_env: 'HOOK_SECRET',
  ...extra,
})
const withRoutes = (domains: Record<string, unknown[]>, top: Record<string, unknown> = {}) =>
  MeshwatchConfigSchema.parse({
    ...CONFIG,
    ...top,
    domains: Object.fromEntries(
      Object.entries(CONFIG.domains ?? {}).map(([name, d]) => [
        name,
        domains[name] ? { ...d, incidents: { routes: domains[name] } } : d,
      ]),
    ),
  })

const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const s of stops.splice(0)) await s()
})

async function routed(config: MeshwatchConfig, opts: { onDisk?: boolean } = {}) {
  const r = await startReceivers({ webhookSecret: SECRET })
  const hooks = await startReceiver()
  stops.push(r.close, hooks.close)
  const { deps, clock } = await badDayCopy(opts)
  const env = { HOOK_URL: `${r.url}/hook`, HOOK_SECRET: SECRET }
  // a generous timeout: the receiver is local, and a loaded machine must not turn a slow 200 into a retry
  const dispatcher = (db = dbOf(deps)) =>
    testDispatcher(db, clock, hooks, { config, env, timeoutMs: 10_000 })
  const got = () =>
    r.got.hook.map((h) => `${h.body.audience} ${h.body.incident.productId} ${h.body.event}`).sort()
  return { r, deps, clock, dispatcher, got }
}

/** The recorded bad-day sales build, with `tags` given to its orders model in dbt (as `tags:` in its schema.yml would). */
async function salesBuildTagged(tags: string[]) {
  const t = demoTargets('bad').find((x) => x.project === 'sales')!
  const dir = join(mkdtempSync(join(tmpdir(), 'meshwatch-tags-')), 'target')
  cpSync(t.target, dir, { recursive: true })
  const file = join(dir, 'manifest.json')
  const manifest = JSON.parse(readFileSync(file, 'utf8'))
  manifest.nodes['model.sales.orders'].tags = tags
  manifest.nodes['model.sales.orders'].config.tags = tags
  writeFileSync(file, JSON.stringify(manifest))
  return readDbtTarget(dir, {
    projectDir: t.projectDir,
    profilesDir: t.projectDir,
    jobNamespace: DEMO_JOB_NAMESPACE,
    env: {},
  })
}

describe('routing by tag', () => {
  const cfg = withRoutes({
    sales: [hook({ tags: ['tier-1'] }), hook({ url_env: 'HOOK_ALL' })],
    marketing: [hook({ url_env: 'HOOK_MKT', tags: ['attribution'] })],
  })
  const tags: Record<string, string[]> = {
    'sales.orders': ['tier-1'],
    'marketing.customer_attribution': ['attribution'],
  }
  const tagsOf = (id: string) => tags[id] ?? []
  const consumers = [
    {
      domain: 'marketing',
      products: [
        {
          productId: 'marketing.customer_attribution',
          name: 'customer_attribution',
          domain: 'marketing',
          owner: null,
          hops: 0,
        },
      ],
    },
  ]
  it.each([
    {
      name: 'a tagged product takes the tagged route and the untagged one',
      productId: 'sales.orders',
      consumers: [],
      keys: ['owner webhook:HOOK_URL', 'owner webhook:HOOK_ALL'],
    },
    {
      name: 'a product without the tag skips the tagged route',
      productId: 'sales.sales_daily',
      consumers: [],
      keys: ['owner webhook:HOOK_ALL'],
    },
    {
      name: "a consumer route's tags match the consumer's affected products",
      productId: 'sales.orders',
      consumers,
      keys: ['owner webhook:HOOK_URL', 'owner webhook:HOOK_ALL', 'marketing webhook:HOOK_MKT'],
    },
  ])('$name', ({ productId, consumers: c, keys }) => {
    const r = routesOf(cfg, { productId, domain: 'sales', severity: 'breach' }, c, tagsOf)
    expect(r.map((t) => `${t.audience} ${t.key}`)).toEqual(keys)
  })

  it('takes a product listed in products or carrying a tag (either is enough)', () => {
    const both = withRoutes({
      sales: [hook({ products: ['sales.sales_daily'], tags: ['tier-1'] })],
    })
    const keys = (productId: string) =>
      routesOf(both, { productId, domain: 'sales', severity: 'warn' }, [], tagsOf).length
    expect([keys('sales.orders'), keys('sales.sales_daily'), keys('sales.other')]).toEqual([
      1, 1, 0,
    ])
  })

  it('refuses an empty tags list in meshwatch.yml, naming the field', () => {
    const r = MeshwatchConfigSchema.safeParse({
      domains: { sales: { incidents: { routes: [hook({ tags: [] })] } } },
    })
    expect(r.success).toBe(false)
    expect(r.error?.issues[0]?.path).toEqual(['domains', 'sales', 'incidents', 'routes', 0, 'tags'])
  })

  it("reads a product's tags from meshwatch.yml, its outputs' dbt tags and its contract's tags", async () => {
    const { deps } = await badDayCopy()
    const config = MeshwatchConfigSchema.parse({
      ...CONFIG,
      products: { ...CONFIG.products, 'finance.revenue': { tags: ['close'] } },
    })
    await ingestBatch(deps, await salesBuildTagged(['tier-1', 'pii']))
    const text = readFileSync(join(FIXTURES, 'contracts/demo/sales-orders.odcs.yaml'), 'utf8')
    const tagged = text.replace(/^status: active$/m, 'status: active\ntags: [customer-facing]')
    await ingestContracts(deps, [parseContractText(tagged, 'sales-orders.odcs.yaml')])
    const tags = await productTagsOf(deps.store, config, [
      'sales.orders',
      'finance.revenue',
      'marketing.customer_attribution',
    ])
    expect(Object.fromEntries(tags)).toEqual({
      'sales.orders': ['customer-facing', 'pii', 'tier-1'],
      'finance.revenue': ['close'],
      'marketing.customer_attribution': [],
    })
  }, 120_000)

  it("delivers on a tagged route only what carries the tag, the owners' and the consumers'", async () => {
    const s = await routed(
      withRoutes({
        sales: [hook({ tags: ['tier-1'] })],
        marketing: [hook({ url_env: 'HOOK_URL', tags: ['tier-1'] })],
      }),
    )
    await ingestBatch(s.deps, await salesBuildTagged(['tier-1']))
    await s.dispatcher().runOnce()
    // sales.orders carries the dbt tag, and so does the KPI dashboard (an exposure's outputs are
    // the models it reads); marketing's route hears of neither: none of its products is tagged
    expect(s.got()).toEqual([
      'owner sales.exposure.sales_kpi_dashboard opened',
      'owner sales.orders opened',
    ])
    expect(s.r.refused).toEqual([])
  }, 120_000)
})

describe('routing by severity', () => {
  it('keeps a warning off a breach-only route, and delivers it there from its opening once it breaches', async () => {
    const s = await routed(withRoutes({ sales: [hook({ severity: 'breach' })] }))
    const t = s.clock.now().getTime()
    // sales.orders recovers, then warns long after the reopen window: a new incident, a warning
    evaluateAs(dbOf(s.deps), 'sales.orders', 'ok', new Date(t + HOUR))
    const warned = evaluateAs(dbOf(s.deps), 'sales.orders', 'warn', new Date(t + 3 * HOUR))
    const id = warned.incidents[0]?.incidentId
    const of = () => s.r.got.hook.filter((h) => h.body.incident.id === id).map((h) => h.body.event)
    s.clock.set(new Date(t + 3 * HOUR))
    await s.dispatcher().runOnce()
    // the bad day's breaches were delivered (and the first one's recovery), the warning not
    expect(s.got()).toContain('owner sales.orders resolved')
    expect(of()).toEqual([])
    evaluateAs(dbOf(s.deps), 'sales.orders', 'breach', new Date(t + 4 * HOUR))
    s.clock.set(new Date(t + 4 * HOUR))
    await s.dispatcher().runOnce()
    expect(of()).toEqual(['opened', 'updated'])
    expect(s.r.refused).toEqual([])
  }, 120_000)
})

describe('quiet hours', () => {
  const BERLIN = { start: '01:00', end: '04:00', tz: 'Europe/Berlin' }
  const NEW_YORK = { start: '22:00', end: '07:00', tz: 'America/New_York' }
  it.each([
    {
      name: 'an ordinary night',
      q: BERLIN,
      at: '2026-06-01T00:30:00Z',
      end: '2026-06-01T02:00:00Z',
    },
    {
      name: 'the night summer time starts (the window is an hour shorter)',
      q: BERLIN,
      at: '2027-03-28T00:30:00Z',
      end: '2027-03-28T02:00:00Z',
    },
    {
      name: 'the night summer time ends (the window is an hour longer)',
      q: BERLIN,
      at: '2026-10-24T23:30:00Z',
      end: '2026-10-25T03:00:00Z',
    },
    {
      name: 'a window over midnight, the night New York falls back',
      q: NEW_YORK,
      at: '2026-11-01T03:00:00Z',
      end: '2026-11-01T12:00:00Z',
    },
    {
      name: 'a window over midnight, the night New York springs forward',
      q: NEW_YORK,
      at: '2027-03-14T03:00:00Z',
      end: '2027-03-14T11:00:00Z',
    },
    {
      name: 'outside the window',
      q: BERLIN,
      at: '2026-06-01T02:00:00Z',
      end: '2026-06-01T02:00:00Z',
    },
  ])('ends at the local end time: $name', ({ q, at, end }) => {
    const ms = quietMsLeft(q, new Date(at))
    expect(new Date(Date.parse(at) + ms).toISOString()).toBe(new Date(end).toISOString())
  })

  it('holds deliveries through the window and releases them at its end, across a DST change and a restart', async () => {
    const s = await routed(withRoutes({ sales: [hook({ quiet_hours: BERLIN })] }), {
      onDisk: true,
    })
    // the night Berlin moves to summer time: 01:00–04:00 local is 00:00–02:00 UTC
    s.clock.set(new Date('2027-03-28T00:30:00Z'))
    await s.dispatcher().runOnce()
    s.clock.set(new Date('2027-03-28T01:59:00Z'))
    await s.dispatcher().runOnce()
    expect(s.got()).toEqual([])
    // a restarted server (a new connection to the same store file) finds them due at 04:00 local
    const restarted = openDb(dbOf(s.deps).$client.name)
    s.clock.set(new Date('2027-03-28T02:00:00Z'))
    await s.dispatcher(restarted).runOnce()
    expect(s.got()).toEqual([
      'owner sales.exposure.sales_kpi_dashboard opened',
      'owner sales.orders opened',
    ])
    // each once
    await s.dispatcher(restarted).runOnce()
    expect(s.r.got.hook).toHaveLength(2)
  }, 120_000)
})

describe('routes sharing a channel', () => {
  it('send one message per incident to a channel two rules of a domain name, and their filters add up', async () => {
    // a product rule (orders, any severity) and a domain rule (breaches only) on one webhook
    const s = await routed(
      withRoutes({ sales: [hook({ products: ['sales.orders'] }), hook({ severity: 'breach' })] }),
    )
    await s.dispatcher().runOnce()
    expect(s.got()).toEqual([
      'owner sales.exposure.sales_kpi_dashboard opened',
      'owner sales.orders opened',
    ])
    expect(s.r.refused).toEqual([])
  }, 120_000)

  it('send the owners’ message, not a second consumer one, to a channel the owners and a consumer domain share', async () => {
    // sales and marketing both route to HOOK_URL; marketing reads sales.orders
    const s = await routed(withRoutes({ sales: [hook()], marketing: [hook()] }))
    await s.dispatcher().runOnce()
    expect(s.got()).toEqual([
      'owner marketing.customer_attribution opened',
      'owner sales.exposure.sales_kpi_dashboard opened',
      'owner sales.orders opened',
    ])
  }, 120_000)

  it('keep the quiet hours of a channel whichever of its routes took the incident', async () => {
    const quiet = { start: '00:00', end: '23:59', tz: 'UTC' }
    const s = await routed(
      withRoutes({
        sales: [
          hook({ products: ['sales.orders'], quiet_hours: quiet }),
          hook({ severity: 'breach', quiet_hours: quiet }),
        ],
      }),
    )
    s.clock.set(new Date('2026-12-01T12:00:00Z'))
    await s.dispatcher().runOnce()
    expect(s.got()).toEqual([])
    s.clock.set(new Date('2026-12-01T23:59:00Z'))
    await s.dispatcher().runOnce()
    expect(s.got()).toEqual([
      'owner sales.exposure.sales_kpi_dashboard opened',
      'owner sales.orders opened',
    ])
  }, 120_000)
})
