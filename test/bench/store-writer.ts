// One PostgreSQL writer of the store bench's writers row (#16), in its own process as a meshwatch
// replica is: `tsx test/bench/store-writer.ts URL WARM_URL FROM TO [DOMAIN]` (forked by store.ts
// benchWriters; DOMAIN: stored as with that domain's token). It generates and folds the events FROM..TO, warms up as a long-running replica
// is (its first WARM_CHUNKS stored on the database WARM_URL, its own), opens its pool on URL,
// says `ready`, and on `go` stores the chunks with storeBatch as ingest does, then says how long
// that took (wall, its CPU).
import type { Batch } from '../../collectors/batch.ts'
import { parseEvent } from '../../collectors/openlineage/parse.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { pgStore } from '../../db/pg/store.ts'
import { encodeBatch } from '../../db/queries/batch-codec.ts'
import { foldBatches } from '../../db/queries/fold-batches.ts'
import type { Store } from '../../db/store.ts'
import { hashBatch } from '../../server/ingest.ts'
import { syntheticEvent } from './openlineage.ts'

export const NOW = '2026-12-03T00:00:00.000Z'
// Events per storeBatch: the chunk collect openlineage folds into one transaction.
export const CHUNK = 1000
const WARM_CHUNKS = 5

type Folded = ReturnType<typeof foldBatches>

/** The generated events from..to, parsed and folded CHUNK at a time: what storeBatch is given. */
export function eventBatches(from: number, to: number): Folded[] {
  const out: Folded[] = []
  for (let i = from; i < to; i += CHUNK) {
    const list: Batch[] = []
    for (let j = i; j < Math.min(to, i + CHUNK); j++) {
      const p = parseEvent(syntheticEvent(j))
      if (!p.ok) throw new Error(`generated event ${j}: ${p.path}: ${p.reason}`)
      list.push(p.batch)
    }
    out.push(foldBatches(list))
  }
  return out
}

/** Wall and CPU ms (this process) of the storeBatch calls alone. */
export interface Spent {
  wall: number
  cpu: number
}

/** CPU ms of this process. */
export const selfCpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** Stores the chunks as ingest does (server/ingest.ts storeOptionsOf: encoded once, for its hash and its payload). */
export async function storeAll(
  store: Store,
  batches: readonly Folded[],
  spent?: Spent,
  domain?: string,
): Promise<void> {
  for (const { batch, schemas } of batches) {
    const c = selfCpu()
    const t = performance.now()
    const encoded = encodeBatch(batch)
    const r = await store.storeBatch.storeBatch(batch, {
      contentHash: hashBatch(batch, encoded),
      payload: encoded.payload,
      now: NOW,
      ...(schemas ? { schemas } : {}),
      ...(domain ? { domain } : {}),
    })
    if (spent) {
      spent.wall += performance.now() - t
      spent.cpu += selfCpu() - c
    }
    if (r.duplicate) throw new Error('a generated chunk was stored as a duplicate')
  }
}

/** What a writer process tells its parent (one JSON object per message). */
export type WriterMessage =
  { ready: true; events: number } | { done: true; wall: number; cpu: number } | { error: string }

async function main(): Promise<void> {
  const [url = '', warmUrl = '', fromArg = '', toArg = '', domain] = process.argv.slice(2)
  const from = Number(fromArg)
  const to = Number(toArg)
  if (!url || !warmUrl || !Number.isInteger(from) || !Number.isInteger(to) || to <= from)
    throw new Error('usage: store-writer.ts URL WARM_URL FROM TO [DOMAIN]')
  const send = (m: WriterMessage) => process.send?.(m)
  const batches = eventBatches(from, to)
  const warm = pgStore(await openPgPool(warmUrl))
  try {
    await storeAll(warm, batches.slice(0, WARM_CHUNKS), undefined, domain)
  } finally {
    await warm.close()
  }
  const store = pgStore(await openPgPool(url))
  try {
    const go = new Promise<void>((resolve) => process.once('message', () => resolve()))
    send({ ready: true, events: to - from })
    await go
    const spent: Spent = { wall: 0, cpu: 0 }
    await storeAll(store, batches, spent, domain)
    send({ done: true, ...spent })
  } finally {
    await store.close()
  }
}

if (process.send) {
  let finished = false
  // the bench gone (interrupted): no writer left holding its pool
  process.once('disconnect', () => {
    if (!finished) process.exit(1)
  })
  main().then(
    () => {
      finished = true
      process.disconnect()
    },
    (e: unknown) => {
      finished = true
      process.send?.({ error: (e as Error).message.split('\n')[0] ?? '' } satisfies WriterMessage)
      process.exitCode = 1
      process.disconnect()
    },
  )
}
