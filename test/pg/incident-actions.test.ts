import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { pgStore } from '../../db/pg/store.ts'
import type { TokenScope } from '../../db/queries/tokens.ts'
import type { Store } from '../../db/store.ts'
import { createApp } from '../../server/app.ts'
import { badDay, CONFIG } from '../server/alerts/helpers.ts'
import { bearer } from '../server/incidents/helpers.ts'
import { dbOf } from '../store-deps.ts'
import { copyStore } from './demo.ts'
import { createDatabase } from './helpers.ts'

// #16: acting on an incident (POST ack, mute, resolve) on PostgreSQL, authorized per object: the
// incident's owning domain (or an admin) may do all three, a consumer domain only acknowledge its
// own notification, any other domain nothing (403, nothing written). Two replicas (two apps on two
// pools) acknowledging one incident at once record it once.

type Json = Record<string, any>

let db: Db
let pools: pg.Pool[] = []
let apps: ReturnType<typeof createApp>[]
let tokens: Record<'admin' | 'sales' | 'marketing' | 'finance' | 'unscoped' | 'read', string>

const tokenOn = async (store: Store, scope: TokenScope, domain?: string) =>
  (
    await store.tokens.createToken({
      name: `${domain ?? 'any'}-${scope}`,
      scope,
      domain,
      now: '2026-01-01T00:00:00.000Z',
    })
  ).token

beforeAll(async () => {
  const demo = await badDay()
  db = dbOf(demo.deps)
  const url = await createDatabase()
  pools = [await openPgPool(url), await openPgPool(url)]
  await copyStore(db, pools[0]!)
  const stores = pools.map((p) => pgStore(p))
  const s = stores[0]!
  tokens = {
    admin: await tokenOn(s, 'admin'),
    sales: await tokenOn(s, 'ingest', 'sales'),
    marketing: await tokenOn(s, 'ingest', 'marketing'),
    finance: await tokenOn(s, 'ingest', 'finance'),
    unscoped: await tokenOn(s, 'ingest'),
    read: await tokenOn(s, 'read'),
  }
  const at = demo.clock.now()
  const now = () => at
  apps = stores.map((store) =>
    createApp({
      store,
      meshwatch: CONFIG,
      now,
      wallNow: now,
      auth: { mode: 'required', publicRead: false },
    }),
  )
}, 240_000)
afterAll(async () => {
  closeDb(db)
  for (const p of pools) await p.end()
})

const get = async (path: string, app = apps[0]!) => {
  const res = await app.request(path, { headers: bearer(tokens.read) })
  return { status: res.status, body: (await res.json()) as Json }
}
const post = async (path: string, token: string, body: unknown = {}, app = apps[0]!) => {
  const res = await app.request(path, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Json }
}
const idOf = async (product: string) =>
  (await get(`/api/incidents?product=${product}`)).body.incidents[0].id as number
const timeline = async (id: number) =>
  ((await get(`/api/incidents/${id}`)).body.timeline as Json[]).map((t) => [t.kind, t.actorDomain])

describe('incident actions on PostgreSQL', () => {
  it("refuse another domain's token and write nothing; a consumer may only acknowledge its own notification", async () => {
    const finance = await idOf('finance.revenue')
    const orders = await idOf('sales.orders')
    const before = { finance: await timeline(finance), orders: await timeline(orders) }
    // marketing is no consumer of finance.revenue
    for (const [op, body] of [
      ['ack', {}],
      ['mute', {}],
      ['resolve', { reason: 'not ours to resolve' }],
    ] as const) {
      const r = await post(`/api/incidents/${finance}/${op}`, tokens.marketing, body)
      expect(r.status).toBe(403)
      expect(r.body.error.message).toContain(
        `incident ${finance} belongs to domain finance; this token is of domain marketing`,
      )
    }
    // a token of no domain, or a read token, may not act either
    expect((await post(`/api/incidents/${finance}/ack`, tokens.unscoped)).status).toBe(403)
    expect((await post(`/api/incidents/${finance}/ack`, tokens.read)).status).toBe(403)
    // marketing reads sales.orders: it may acknowledge its notification, not mute or resolve
    const mute = await post(`/api/incidents/${orders}/mute`, tokens.marketing)
    expect(mute.status).toBe(403)
    expect(mute.body.error.message).toContain('may only acknowledge its own notification')
    const resolve = await post(`/api/incidents/${orders}/resolve`, tokens.marketing, {
      reason: 'not ours',
    })
    expect(resolve.status).toBe(403)
    expect({ finance: await timeline(finance), orders: await timeline(orders) }).toEqual(before)
    expect((await get(`/api/incidents/${orders}`)).body.incident.status).toBe('open')

    const consumer = await post(`/api/incidents/${orders}/ack`, tokens.marketing, { note: 'seen' })
    expect(consumer).toMatchObject({
      status: 200,
      body: { acknowledgedFor: 'marketing', incident: { status: 'open' } },
    })
    const owner = await post(`/api/incidents/${finance}/ack`, tokens.finance, { by: 'fin' })
    expect(owner).toMatchObject({
      status: 200,
      body: {
        changed: true,
        incident: { status: 'acknowledged', acknowledgedBy: 'fin (token finance-ingest)' },
      },
    })
    expect(await timeline(finance)).toEqual([...before.finance, ['acknowledged', 'finance']])
    expect(await timeline(orders)).toEqual([...before.orders, ['acknowledged', 'marketing']])
  })

  it('record one acknowledgement when two replicas acknowledge one incident at once', async () => {
    const id = await idOf('sales.orders')
    const before = await timeline(id)
    const both = await Promise.all(
      apps.map((app, i) =>
        post(`/api/incidents/${id}/ack`, tokens.sales, { by: `replica-${i}` }, app),
      ),
    )
    expect(both.map((r) => r.status)).toEqual([200, 200])
    expect(both.map((r) => r.body.changed).sort()).toEqual([false, true])
    expect(await timeline(id)).toEqual([...before, ['acknowledged', 'sales']])
    const resolved = await post(`/api/incidents/${id}/resolve`, tokens.admin, {
      reason: 'fixed upstream',
    })
    expect(resolved.body.incident).toMatchObject({ status: 'resolved', resolvedBy: 'any-admin' })
    expect((await post(`/api/incidents/${id}/ack`, tokens.sales)).status).toBe(409)
  })
})
