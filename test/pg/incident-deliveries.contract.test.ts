import type pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { incidentDeliveries as pgDeliveries } from '../../db/pg/queries/incident-deliveries.ts'
import { incidentDigests as pgDigests } from '../../db/pg/queries/incident-digests.ts'
import * as liteDeliveries from '../../db/queries/incident-deliveries.ts'
import * as liteDigests from '../../db/queries/incident-digests.ts'
import { demoOnBoth } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/incident-deliveries.ts + incident-digests.ts and their PostgreSQL modules on the
// demo's bad day: its incidents fanned out to routes and digests, the deliveries claimed, sent,
// rescheduled and failed alike; then two PostgreSQL claimers at once.

type D = typeof pgDeliveries
type G = typeof pgDigests
let db: Db
let pool: pg.Pool
let deliveries: { sqlite: Bound<D>; pg: Bound<D> }
let digests: { sqlite: Bound<G>; pg: Bound<G> }
let now: Date

beforeAll(async () => {
  ;({ db, pool, now } = await demoOnBoth())
  deliveries = { sqlite: bindSqlite<D>(liteDeliveries, db), pg: bindPg(pgDeliveries, pool) }
  digests = { sqlite: bindSqlite<G>(liteDigests, db), pg: bindPg(pgDigests, pool) }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString()
const route = (key: string, audience: string, channel: 'slack' | 'teams' = 'slack') => ({
  routeKey: key,
  channel,
  audience,
  routeDomain: '',
  nextAttemptAt: at(0),
  createdAt: at(0),
})

describe('incident deliveries and digests on both engines', () => {
  it('fan the demo incidents out to their routes and digests alike, once', async () => {
    const todo = await onBoth(deliveries, (m) => m.incidentsToFanOut())
    expect(todo.length).toBeGreaterThan(1)
    for (const { incident, latest } of todo) {
      const transitions = await onBoth(deliveries, (m) => m.transitionsAfter(incident.id, 0))
      const digest = transitions.map((t) => ({
        transitionId: t.id,
        routeKey: 'teams:digest',
        channel: 'teams' as const,
        audience: 'owner',
        routeDomain: incident.domain,
        dueAt: at(60),
        nextAttemptAt: at(60),
        createdAt: at(0),
      }))
      const rows = [route('slack:#alerts', 'owner'), route('slack:#alerts', 'marketing')]
      await onBoth(deliveries, (m) => m.addDeliveries(incident.id, rows, latest, digest))
      // a second fan-out of the same routes is a no-op
      await onBoth(deliveries, (m) => m.addDeliveries(incident.id, rows, latest, digest))
      expect(await onBoth(deliveries, (m) => m.deliveriesOf(incident.id))).toHaveLength(2)
      expect(await onBoth(digests, (m) => m.digestItemsOf(incident.id))).toHaveLength(
        transitions.length,
      )
      expect(
        await onBoth(digests, (m) => m.digestedThrough(incident.id, 'teams:digest', 'owner')),
      ).toBe(latest)
    }
    expect(await onBoth(deliveries, (m) => m.incidentsToFanOut())).toEqual([])
  })

  it('claim, send, reschedule and fail deliveries alike', async () => {
    const claimed = await onBoth(deliveries, (m) =>
      m.claimDueDeliveries({ now: at(1), leaseUntil: at(5), limit: 3 }),
    )
    expect(claimed).toHaveLength(3)
    const rest = await onBoth(deliveries, (m) =>
      m.claimDueDeliveries({ now: at(1), leaseUntil: at(5), limit: 100 }),
    )
    expect(rest.map((d) => d.id)).not.toContain(claimed[0]!.id)
    const [a, b, c] = claimed
    const ts = { channel: 'C1', ts: '1700000000.0001' }
    await onBoth(deliveries, (m) => m.advanceDelivery(a!.id, { cursor: 99, at: at(2), ref: ts }))
    await onBoth(deliveries, (m) => m.advanceDelivery(a!.id, { cursor: 100, at: at(3) }))
    await onBoth(deliveries, (m) =>
      m.scheduleDelivery(b!.id, { nextAttemptAt: at(7), error: 'HTTP 500', failingSince: at(2) }),
    )
    await onBoth(deliveries, (m) => m.scheduleDelivery(b!.id, { nextAttemptAt: at(8) }))
    await onBoth(deliveries, (m) => m.failDelivery(c!.id, 'channel_not_found'))
    expect(await onBoth(deliveries, (m) => m.deliveryAt(a!.incidentId, ts))).toMatchObject({
      id: a!.id,
      ref: ts,
      cursor: 100,
    })
    expect(
      await onBoth(deliveries, (m) => m.deliveryAt(a!.incidentId, { ...ts, ts: 'other' })),
    ).toBeUndefined()
    for (const d of claimed) await onBoth(deliveries, (m) => m.deliveriesOf(d.incidentId))
    // the rest's lease ends at 5: due again then, b at 8, a (cursor past the latest) and c never
    const again = await onBoth(deliveries, (m) =>
      m.claimDueDeliveries({ now: at(8), leaseUntil: at(20), limit: 100 }),
    )
    expect(again.map((d) => d.id).sort()).toEqual([b!.id, ...rest.map((d) => d.id)].sort())
  })

  it('renew a lease alike only while it is the one the dispatcher holds', async () => {
    const [d] = await onBoth(deliveries, (m) =>
      m.claimDueDeliveries({ now: at(50), leaseUntil: at(60), limit: 1 }),
    )
    expect(d).toBeDefined()
    expect(await onBoth(deliveries, (m) => m.renewDeliveryLease(d!.id, at(60), at(65)))).toBe(true)
    // the lease it named is gone (renewed to 65): not renewed again from 60
    expect(await onBoth(deliveries, (m) => m.renewDeliveryLease(d!.id, at(60), at(66)))).toBe(false)
    // the lease ran out and another dispatcher claimed it: the first one's renewal fails, the other's holds
    const other = await onBoth(deliveries, (m) =>
      m.claimDueDeliveries({ now: at(70), leaseUntil: at(80), limit: 100 }),
    )
    expect(other.map((x) => x.id)).toContain(d!.id)
    expect(await onBoth(deliveries, (m) => m.renewDeliveryLease(d!.id, at(65), at(85)))).toBe(false)
    expect(await onBoth(deliveries, (m) => m.renewDeliveryLease(d!.id, at(80), at(85)))).toBe(true)
    await onBoth(deliveries, (m) => m.failDelivery(d!.id, 'gave up'))
    expect(await onBoth(deliveries, (m) => m.renewDeliveryLease(d!.id, at(85), at(90)))).toBe(false)
  })

  it('hold routes alike: a later hold replaces an earlier one, never the reverse', async () => {
    await onBoth(deliveries, (m) => m.holdRoute('SLACK_BOT', at(10), '429'))
    await onBoth(deliveries, (m) => m.holdRoute('SLACK_BOT', at(5), 'earlier'))
    await onBoth(deliveries, (m) => m.holdRoute('teams:x', at(2), '429'))
    const holds = await onBoth(deliveries, (m) => m.activeHolds(at(3)))
    expect([...holds]).toEqual([['SLACK_BOT', Date.parse(at(10))]])
  })

  it('claim, settle and reschedule digest items alike', async () => {
    expect(
      await onBoth(digests, (m) =>
        m.claimDueDigestItems({ now: at(59), leaseUntil: at(70), limit: 10 }),
      ),
    ).toEqual([])
    const claimed = await onBoth(digests, (m) =>
      m.claimDueDigestItems({ now: at(60), leaseUntil: at(70), limit: 2 }),
    )
    expect(claimed).toHaveLength(2)
    const others = await onBoth(digests, (m) =>
      m.claimDueDigestItems({ now: at(60), leaseUntil: at(70), limit: 100 }),
    )
    expect(others.length).toBeGreaterThan(0)
    await onBoth(digests, (m) => m.settleDigestItems([claimed[0]!.id], { sentAt: at(61) }))
    await onBoth(digests, (m) => m.settleDigestItems([claimed[1]!.id], { failed: 'gone' }))
    await onBoth(digests, (m) =>
      m.rescheduleDigestItems(
        others.map((i) => i.id),
        { nextAttemptAt: at(80), error: 'HTTP 502', failingSince: at(61) },
      ),
    )
    await onBoth(digests, (m) =>
      m.rescheduleDigestItems([others[0]!.id], { nextAttemptAt: at(75) }),
    )
    for (const i of claimed) await onBoth(digests, (m) => m.digestItemsOf(i.incidentId))
    const next = await onBoth(digests, (m) =>
      m.claimDueDigestItems({ now: at(75), leaseUntil: at(90), limit: 100 }),
    )
    expect(next.map((i) => i.id)).toEqual([others[0]!.id])
  })
})

describe('two replicas claiming PostgreSQL deliveries and digest items', () => {
  beforeEach(async () => {
    await pool.query(
      "update incident_deliveries set status = 'active', cursor = 0, next_attempt_at = $1",
      [at(200)],
    )
    await pool.query("update incident_digest_items set status = 'pending', next_attempt_at = $1", [
      at(200),
    ])
  })

  it('never give one delivery or digest item to both, and skip what the other holds without waiting', async () => {
    const total = (await pool.query('select count(*) as n from incident_deliveries')).rows[0].n
    const items = (await pool.query('select count(*) as n from incident_digest_items')).rows[0].n
    expect(total).toBeGreaterThan(3)
    const holder = await pool.connect()
    const other = await pool.connect()
    try {
      await other.query("set statement_timeout = '5s'")
      await holder.query('begin')
      const held = await pgDeliveries.claimDueDeliveries(holder, {
        now: at(200),
        leaseUntil: at(300),
        limit: 2,
      })
      const heldItems = await pgDigests.claimDueDigestItems(holder, {
        now: at(200),
        leaseUntil: at(300),
        limit: 2,
      })
      const got = await pgDeliveries.claimDueDeliveries(other, {
        now: at(200),
        leaseUntil: at(300),
        limit: 100,
      })
      const gotItems = await pgDigests.claimDueDigestItems(other, {
        now: at(200),
        leaseUntil: at(300),
        limit: 100,
      })
      await holder.query('commit')
      const ids = [...held, ...got].map((d) => d.id)
      expect(new Set(ids).size).toBe(ids.length)
      expect(ids).toHaveLength(total)
      const itemIds = [...heldItems, ...gotItems].map((d) => d.id)
      expect(new Set(itemIds).size).toBe(itemIds.length)
      expect(itemIds).toHaveLength(items)
    } finally {
      holder.release()
      other.release()
    }
  })
})
