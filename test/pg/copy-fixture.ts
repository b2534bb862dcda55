import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { readContracts } from '../../collectors/contracts/read.ts'
import type { Db } from '../../db/client.ts'
import { recordPollSuccess } from '../../db/queries/collectors.ts'
import {
  addDeliveries,
  holdRoute,
  incidentsToFanOut,
  transitionsAfter,
} from '../../db/queries/incident-deliveries.ts'
import { createToken } from '../../db/queries/tokens.ts'
import { ingestContracts } from '../../server/contracts/ingest.ts'
import { importEvents } from '../../server/openlineage.ts'
import { badDay } from '../server/alerts/helpers.ts'
import { dbOf } from '../store-deps.ts'

// A store with rows in every table, made by meshwatch's own writers: the demo's good
// and bad day evaluated (outbox, evaluation history, incidents), recorded OpenLineage events (raw
// events, aliases), the demo's ODCS contracts, tokens, an Airflow poll cursor, the incidents fanned
// out to a Slack route and a digest, and a Slack Retry-After hold.

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url))
// the demo's recorded dbt-ol events, and a recorded Flink job whose Kafka topics have symlinks (aliases)
const EVENTS = [
  ...['sales', 'finance', 'marketing', 'product'].map((d) => `openlineage/dbt-ol/${d}.ndjson`),
  'openlineage/public-shapes/flink.ndjson',
]

/** The demo's bad day plus the rest of the store's tables, in the SQLite store `file` (default in memory). */
export async function fullStore(
  file = ':memory:',
): Promise<{ db: Db; now: Date; tokens: string[] }> {
  const { deps, clock } = await badDay(file)
  const db = dbOf(deps)
  const now = clock.now()
  const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString()
  const records = EVENTS.flatMap((file) =>
    readFileSync(`${FIXTURES}${file}`, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l, i) => ({ where: `${file}:${i + 1}`, event: JSON.parse(l) as unknown })),
  )
  importEvents({ ...deps, now: () => now }, records)
  await ingestContracts({ ...deps, now: () => now }, readContracts([`${FIXTURES}contracts/demo`]))
  const tokens = [
    createToken(db, { name: 'ci', scope: 'ingest', domain: 'sales', now: at(0) }).token,
    createToken(db, { name: 'ops', scope: 'admin', expiresAt: at(60 * 24), now: at(0) }).token,
  ]
  recordPollSuccess(db, 'airflow:demo', '2026-01-01T00:00:00Z', at(0))
  for (const { incident, latest } of incidentsToFanOut(db)) {
    const digest = transitionsAfter(db, incident.id, 0).map((t) => ({
      transitionId: t.id,
      routeKey: 'teams:digest',
      channel: 'teams' as const,
      audience: 'owner',
      routeDomain: incident.domain,
      dueAt: at(60),
      nextAttemptAt: at(60),
      createdAt: at(0),
    }))
    const route = {
      routeKey: 'slack:#alerts',
      channel: 'slack' as const,
      audience: 'owner',
      routeDomain: '',
      nextAttemptAt: at(0),
      createdAt: at(0),
    }
    addDeliveries(db, incident.id, [route], latest, digest)
  }
  holdRoute(db, 'slack:T0SALES', at(5), 'Slack answered 429, Retry-After 300')
  return { db, now, tokens }
}
