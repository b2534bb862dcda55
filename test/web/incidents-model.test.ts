import { describe, expect, it } from 'vitest'
import type { IncidentDetail, IncidentSummary } from '../../web/api.ts'
import {
  consumerDomains,
  deliveryState,
  incidentAge,
  incidentsHref,
  incidentState,
  parseIncidentFilter,
  sinceIso,
  transitionText,
  type IncidentDelivery,
} from '../../web/incidents-model.ts'
import { parseRoute } from '../../web/model.ts'

// The answers' types are the server's (hc<AppType>); these tests give only the fields read.
const given = <T>(v: unknown): T => v as T
const NOW = new Date('2026-11-25T21:00:00Z')

describe('incidents page model', () => {
  it.each([
    { path: '/incidents', expected: { view: 'incidents', id: null } },
    { path: '/incidents/', expected: { view: 'incidents', id: null } },
    { path: '/incidents/12', expected: { view: 'incidents', id: 12 } },
    { path: '/incidents/abc', expected: { view: 'not-found', path: '/incidents/abc' } },
  ])('routes $path', ({ path, expected }) => {
    expect(parseRoute(path, '')).toEqual(expected)
  })

  it('keeps the filters in the URL in a fixed order, leaving out the unset ones', () => {
    const f = parseIncidentFilter('?status=open&domain=marketing&x=1')
    expect(f).toEqual({ domain: 'marketing', product: '', status: 'open', since: '' })
    expect(incidentsHref(f)).toBe('/incidents?domain=marketing&status=open')
    expect(incidentsHref({})).toBe('/incidents')
    expect(incidentsHref({ product: 'sales.orders', since: '7d' })).toBe(
      '/incidents?product=sales.orders&since=7d',
    )
  })

  it.each([
    { since: '', expected: undefined },
    { since: '24h', expected: '2026-11-24T21:00:00.000Z' },
    { since: '7d', expected: '2026-11-18T21:00:00.000Z' },
    { since: '2026-11-01', expected: '2026-11-01T00:00:00Z' },
    { since: '2026-11-01T10:00:00+01:00', expected: '2026-11-01T09:00:00.000Z' },
    { since: 'yesterday', expected: undefined },
  ])('since "$since" is $expected for the API', ({ since, expected }) => {
    expect(sinceIso(since, NOW)).toBe(expected)
  })

  it.each([
    { i: { status: 'open', severity: 'breach', muted: false }, tone: 'breach', label: 'open' },
    { i: { status: 'open', severity: 'warn', muted: false }, tone: 'warn', label: 'open' },
    {
      i: { status: 'open', severity: 'breach', muted: true },
      tone: 'breach',
      label: 'open, muted',
    },
    {
      i: { status: 'acknowledged', severity: 'breach', muted: false },
      tone: 'warn',
      label: 'acknowledged',
    },
    { i: { status: 'resolved', severity: 'breach', muted: false }, tone: 'ok', label: 'resolved' },
  ])('says $label in words, with a glyph', ({ i, tone, label }) => {
    const s = incidentState(given<IncidentSummary>(i))
    expect(s).toMatchObject({ tone, label })
    expect(s.icon).not.toBe('')
  })

  it('tells how long an incident lasted or has lasted', () => {
    const open = given<IncidentSummary>({ detectedAt: '2026-11-25T20:00:00Z', resolvedAt: null })
    expect(incidentAge(open, NOW)).toBe('for 1 h')
    const done = given<IncidentSummary>({
      detectedAt: '2026-11-22T20:00:00Z',
      resolvedAt: '2026-11-24T20:00:00Z',
    })
    expect(incidentAge(done, NOW)).toBe('lasted 2 days')
  })

  it('lists the consumer domains once each, without the owner', () => {
    const i = given<IncidentSummary>({
      domain: 'sales',
      blastRadius: [{ domain: 'marketing' }, { domain: 'finance' }, { domain: 'marketing' }],
    })
    expect(consumerDomains(i)).toEqual(['finance', 'marketing'])
  })

  it('writes a transition with who did it and what changed', () => {
    const t = given<IncidentDetail['timeline'][number]>({
      kind: 'acknowledged',
      actor: 'ana (token sales-ingest)',
      actorDomain: 'sales',
      productStatus: 'breach',
      score: 79.9,
      changes: [],
    })
    expect(transitionText(t)).toBe('by ana (token sales-ingest) (sales); product breach, score 80')
    const u = given<IncidentDetail['timeline'][number]>({
      kind: 'updated',
      actor: null,
      productStatus: 'warn',
      score: null,
      changes: ['status', 'score'],
    })
    expect(transitionText(u)).toBe('product warn — changed: status, score')
  })

  it.each([
    { d: { status: 'failed', lastError: '$SLACK_BOT_TOKEN is not set' }, label: 'not delivered' },
    {
      d: { status: 'active', pending: 0, deliveredAt: '2026-11-25T20:41:00Z' },
      label: 'delivered',
    },
    { d: { status: 'active', pending: 2, lastError: '500' }, label: 'pending (2 steps)' },
  ])('a delivery is $label', ({ d, label }) => {
    expect(deliveryState(given<IncidentDelivery>(d)).label).toBe(label)
  })
})
