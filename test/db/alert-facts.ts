import type { AlertFacts } from '../../db/json-shapes.ts'

/** An outbox payload as server/alerts/outbox.ts writes one: a product's episode that opened. */
export const alertFacts = (over: Partial<AlertFacts> = {}): AlertFacts => ({
  productId: 'sales.orders',
  productName: 'Orders',
  domain: 'sales',
  owner: null,
  kind: 'opened',
  status: 'breach',
  previous: 'ok',
  score: 40,
  evaluatedAt: '2026-03-01T12:00:00.000Z',
  since: '2026-03-01T12:00:00.000Z',
  dimensions: [],
  rootCause: null,
  ...over,
})
