import { beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../../server/app.ts'
import type { Deps } from '../../../server/deps.ts'
import { badDayCopy } from '../alerts/helpers.ts'
import { bearer, evaluateAs, HOUR, tokenFor } from './helpers.ts'
import { dbOf } from '../../store-deps.ts'

type Json = Record<string, any>

async function setup() {
  const { deps, clock } = await badDayCopy()
  const tokens = {
    admin: tokenFor(dbOf(deps), 'admin'),
    sales: tokenFor(dbOf(deps), 'ingest', 'sales'),
    marketing: tokenFor(dbOf(deps), 'ingest', 'marketing'),
    finance: tokenFor(dbOf(deps), 'ingest', 'finance'),
    unscoped: tokenFor(dbOf(deps), 'ingest'),
    read: tokenFor(dbOf(deps), 'read'),
  }
  const app = createApp({ ...deps, auth: { mode: 'required', publicRead: false } })
  const get = async (path: string, token = tokens.read) => {
    const res = await app.request(path, { headers: bearer(token) })
    return { status: res.status, body: (await res.json()) as Json }
  }
  const post = async (path: string, token: string, body?: unknown) => {
    const res = await app.request(path, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: res.status, body: (await res.json()) as Json }
  }
  const idOf = async (product: string) => {
    const r = await get(`/api/incidents?product=${product}`)
    return r.body.incidents[0].id as number
  }
  return { deps, clock, app, tokens, get, post, idOf }
}

describe('incidents of the demo’s bad day', () => {
  let s: Awaited<ReturnType<typeof setup>>
  beforeAll(async () => {
    s = await setup()
  }, 120_000)

  it('opens one incident per breached product, with detection and upstream start times', async () => {
    const { body } = await s.get('/api/incidents')
    const ids = body.incidents.map((i: Json) => i.productId).sort()
    expect(ids).toEqual([
      'finance.exposure.monthly_close_report',
      'finance.revenue',
      'marketing.customer_attribution',
      'sales.exposure.sales_kpi_dashboard',
      'sales.orders',
    ])
    const orders = body.incidents.find((i: Json) => i.productId === 'sales.orders')
    expect(orders).toMatchObject({ status: 'open', severity: 'breach', domain: 'sales' })
    // the root cause's failed upstream run started before meshwatch saw the breach
    expect(Date.parse(orders.startedAt)).toBeLessThan(Date.parse(orders.detectedAt))
  })

  it("names sales.orders' consumers of other domains, with owners, as its blast radius", async () => {
    const { body } = await s.get(`/api/incidents/${await s.idOf('sales.orders')}`)
    const blast = body.incident.blastRadius
    expect(blast).toContainEqual(
      expect.objectContaining({
        productId: 'marketing.customer_attribution',
        domain: 'marketing',
        owner: 'growth-analytics@meshwatch.example',
      }),
    )
    expect(blast.every((p: Json) => p.domain !== 'sales')).toBe(true)
    expect(body.consumers.map((c: Json) => c.domain)).toEqual(['finance', 'marketing', 'product'])
    expect(body.timeline.map((t: Json) => t.kind)).toEqual(['opened'])
    expect(body.timeline[0].rootCause.summary).toEqual(expect.any(String))
    // today's webhook alert of the episode, by route variable, never its URL
    expect(body.deliveries['slack-webhook']).toEqual([
      expect.objectContaining({
        kind: 'opened',
        route: expect.objectContaining({ webhookEnv: 'SLACK_WEBHOOK_SALES' }),
      }),
    ])
  })

  it('filters by domain (owner or consumer), product, status and since', async () => {
    const finance = await s.get('/api/incidents?domain=finance')
    // finance owns two and consumes the two of sales
    expect(finance.body.incidents).toHaveLength(4)
    const none = await s.get('/api/incidents?since=2100-01-01T00:00:00Z')
    expect(none.body.incidents).toEqual([])
    const resolved = await s.get('/api/incidents?status=resolved')
    expect(resolved.body.incidents).toEqual([])
    const bad = await s.get('/api/incidents?status=closed')
    expect(bad.status).toBe(400)
    expect(bad.body.error.path).toBe('$.status')
  })

  it('answers 404 for an unknown incident and 400 for a bad id', async () => {
    expect((await s.get('/api/incidents/99999')).status).toBe(404)
    expect((await s.get('/api/incidents/abc')).status).toBe(400)
  })
})

describe('acting on an incident', () => {
  it('lets the owning domain acknowledge, and refuses another domain', async () => {
    const s = await setup()
    const id = await s.idOf('sales.orders')
    const finance = await s.idOf('finance.revenue')
    // marketing is no consumer of finance.revenue: refused outright, nothing written
    const foreign = await s.post(`/api/incidents/${finance}/ack`, s.tokens.marketing, {})
    expect(foreign.status).toBe(403)
    expect(foreign.body.error.message).toContain('belongs to domain finance')
    expect((await s.get(`/api/incidents/${finance}`)).body.timeline).toHaveLength(1)
    // a token of no domain, or a read token, may not act either
    expect((await s.post(`/api/incidents/${id}/ack`, s.tokens.unscoped)).status).toBe(403)
    expect((await s.post(`/api/incidents/${id}/ack`, s.tokens.read)).status).toBe(403)

    const ok = await s.post(`/api/incidents/${id}/ack`, s.tokens.sales, {
      note: 'on it',
      by: 'ana',
    })
    expect(ok.status).toBe(200)
    expect(ok.body.incident).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'ana (token sales-ingest)',
    })
    const again = await s.post(`/api/incidents/${id}/ack`, s.tokens.sales)
    expect(again.body.changed).toBe(false)
    const view = await s.get(`/api/incidents/${id}`)
    expect(view.body.timeline.map((t: Json) => [t.kind, t.note, t.actorDomain])).toEqual([
      ['opened', null, null],
      ['acknowledged', 'on it', 'sales'],
    ])
  }, 120_000)

  it('lets a consumer domain acknowledge only its own notification', async () => {
    const s = await setup()
    const id = await s.idOf('sales.orders')
    const ack = await s.post(`/api/incidents/${id}/ack`, s.tokens.marketing, { note: 'seen' })
    expect(ack.status).toBe(200)
    expect(ack.body).toMatchObject({ acknowledgedFor: 'marketing', incident: { status: 'open' } })
    const view = await s.get(`/api/incidents/${id}`)
    const byDomain = Object.fromEntries(view.body.consumers.map((c: Json) => [c.domain, c]))
    expect(byDomain.marketing.acknowledgedBy).toBe('marketing-ingest')
    expect(byDomain.finance.acknowledgedAt).toBeNull()
    // muting or resolving sales' incident is not marketing's to do
    const mute = await s.post(`/api/incidents/${id}/mute`, s.tokens.marketing, {})
    expect(mute.status).toBe(403)
    expect(mute.body.error.message).toContain('may only acknowledge its own notification')
    const resolve = await s.post(`/api/incidents/${id}/resolve`, s.tokens.marketing, {
      reason: 'not ours',
    })
    expect(resolve.status).toBe(403)
    expect((await s.get(`/api/incidents/${id}`)).body.incident.status).toBe('open')
  }, 120_000)

  it('mutes for 24 h by default, refuses a mute in the past, and resolves by hand with a reason', async () => {
    const s = await setup()
    const id = await s.idOf('sales.orders')
    const now = s.clock.now()
    const mute = await s.post(`/api/incidents/${id}/mute`, s.tokens.sales, {})
    expect(mute.body.incident.mutedUntil).toBe(new Date(now.getTime() + 24 * HOUR).toISOString())
    expect(mute.body.incident.muted).toBe(true)
    expect(
      (await s.get('/api/incidents?status=muted')).body.incidents.map((i: Json) => i.id),
    ).toEqual([id])
    // or until a time it is given
    const until = new Date(now.getTime() + 2 * HOUR).toISOString()
    const muted = await s.post(`/api/incidents/${id}/mute`, s.tokens.sales, { until })
    expect(muted.body.incident).toMatchObject({ mutedUntil: until, muted: true })
    const past = await s.post(`/api/incidents/${id}/mute`, s.tokens.sales, {
      until: '2000-01-01T00:00:00Z',
    })
    expect(past.status).toBe(400)
    expect(past.body.error.path).toBe('$.until')
    const noReason = await s.post(`/api/incidents/${id}/resolve`, s.tokens.admin, {})
    expect(noReason.status).toBe(400)
    expect(noReason.body.error.path).toBe('$.reason')
    const done = await s.post(`/api/incidents/${id}/resolve`, s.tokens.admin, {
      reason: 'backfilled by hand',
    })
    expect(done.body.incident).toMatchObject({
      status: 'resolved',
      resolution: 'manual',
      resolveReason: 'backfilled by hand',
    })
    const view = await s.get(`/api/incidents/${id}`)
    expect(view.body.consumers.every((c: Json) => c.resolvedAt !== null)).toBe(true)
    // resolved is final by hand; it reopens by itself if the product breaks again
    expect((await s.post(`/api/incidents/${id}/ack`, s.tokens.sales)).status).toBe(409)
  }, 120_000)
})

describe('the lifecycle across evaluations', () => {
  it('resolves on recovery, reopens inside the window, and opens a new one after it', async () => {
    const s = await setup()
    const deps: Deps = s.deps
    const id = await s.idOf('sales.orders')
    const t = s.clock.now().getTime()
    evaluateAs(dbOf(deps), 'sales.orders', 'ok', new Date(t + HOUR))
    let v = (await s.get(`/api/incidents/${id}`)).body
    expect(v.incident).toMatchObject({ status: 'resolved', resolution: 'auto' })
    expect(v.consumers.every((c: Json) => c.resolvedAt !== null)).toBe(true)
    evaluateAs(dbOf(deps), 'sales.orders', 'warn', new Date(t + 1.5 * HOUR))
    v = (await s.get(`/api/incidents/${id}`)).body
    expect(v.incident).toMatchObject({ status: 'open', reopened: 1, resolvedAt: null })
    expect(v.timeline.map((t: Json) => t.kind)).toEqual(['opened', 'resolved', 'reopened'])
    evaluateAs(dbOf(deps), 'sales.orders', 'breach', new Date(t + 1.6 * HOUR))
    v = (await s.get(`/api/incidents/${id}`)).body
    expect(v.timeline.at(-1)).toMatchObject({ kind: 'updated', changes: ['status', 'score'] })
    evaluateAs(dbOf(deps), 'sales.orders', 'ok', new Date(t + 2 * HOUR))
    evaluateAs(dbOf(deps), 'sales.orders', 'breach', new Date(t + 4 * HOUR))
    const all = (await s.get('/api/incidents?product=sales.orders')).body.incidents
    expect(all.map((i: Json) => [i.id === id, i.status])).toEqual([
      [false, 'open'],
      [true, 'resolved'],
    ])
  }, 120_000)

  it('sends no reminder while the incident is acknowledged', async () => {
    const s = await setup()
    const id = await s.idOf('sales.orders')
    const t = s.clock.now().getTime()
    expect(
      evaluateAs(dbOf(s.deps), 'sales.orders', 'breach', new Date(t + 5 * HOUR)).alerts,
    ).toHaveLength(1)
    await s.post(`/api/incidents/${id}/ack`, s.tokens.sales)
    expect(
      evaluateAs(dbOf(s.deps), 'sales.orders', 'breach', new Date(t + 10 * HOUR)).alerts,
    ).toEqual([])
  }, 120_000)

  it('counts incidents and their mean times per domain over 30 days', async () => {
    const s = await setup()
    const id = await s.idOf('sales.orders')
    await s.post(`/api/incidents/${id}/ack`, s.tokens.sales)
    const { body } = await s.get('/api/incidents/stats')
    const sales = body.domains.find((d: Json) => d.domain === 'sales')
    expect(sales).toMatchObject({ incidents: 2, open: 2, mttaMs: 0, mttrMs: null })
    expect(sales.mttdMs).toBeGreaterThan(0)
    expect(body.days).toBe(30)
  }, 120_000)
})
