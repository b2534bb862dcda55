import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { parseContractText } from '../../collectors/contracts/read.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { pgStore } from '../../db/pg/store.ts'
import { ForeignWriteError } from '../../db/queries/authorize.ts'
import type { Store } from '../../db/store.ts'
import { contractsToStore, ingestContracts } from '../../server/contracts/ingest.ts'
import { createDatabase, someoneWaits } from './helpers.ts'

// #16: a contract upload's ownership check races no other replica. Writer A (a transaction the
// test holds open) stores the first version of a contract id as sales; while A holds it, a finance
// token uploads the same id. The finance upload must wait for A and then see the id as sales' and
// be refused; without the lock both read "no owner yet" and both stored a version.
const NOW = '2026-12-03T00:00:00.000Z'
const FILE = fileURLToPath(
  new URL('../../fixtures/contracts/demo/sales-orders.odcs.yaml', import.meta.url),
)
// the demo contract without its `domain:` line: the writer's domain is its owner
const doc = parseContractText(
  readFileSync(FILE, 'utf8').replace(/^domain: .*\n/m, ''),
  'sales-orders.odcs.yaml',
)

let pool: pg.Pool
let store: Store
beforeAll(async () => {
  pool = await openPgPool(await createDatabase())
  store = pgStore(pool)
})
afterAll(() => store.close())

it('a domain token uploading a contract id another replica is storing waits for it, then is refused', async () => {
  expect(doc.contract.domain).toBeUndefined()
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))
  let locked!: () => void
  const isLocked = new Promise<void>((r) => (locked = r))
  const a = store.transaction(async (tx) => {
    await tx.contracts.lockContracts([doc.contract.id])
    locked()
    await held
    return tx.contracts.storeContracts(contractsToStore([doc], 'sales'), { now: NOW })
  })
  await Promise.race([isLocked, a])
  const finance = ingestContracts({ store, now: () => new Date(NOW) }, [doc], {
    domain: 'finance',
  }).then(
    () => 'stored',
    (e: unknown) => e,
  )
  try {
    // the finance upload must be waiting on A's lock, not done without it
    await Promise.race([
      someoneWaits(pool),
      finance.then((r) => {
        throw new Error(`the finance upload finished (${String(r)}) while A held the contract id`)
      }),
    ])
  } finally {
    release()
  }
  expect((await a)[0]?.duplicate).toBe(false)
  const refused = await finance
  expect(refused).toBeInstanceOf(ForeignWriteError)
  expect((refused as Error).message).toContain('belongs to domain sales')
  const rows = await pool.query<{ domain: string }>(
    'select domain from contracts where contract_id = $1',
    [doc.contract.id],
  )
  expect(rows.rows).toEqual([{ domain: 'sales' }])
})

it('uploads of different contract ids do not wait for each other', async () => {
  const other = parseContractText(
    readFileSync(FILE, 'utf8').replace(/^id: .*$/m, 'id: urn:meshwatch-test:other'),
    'other.odcs.yaml',
  )
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))
  let locked!: () => void
  const isLocked = new Promise<void>((r) => (locked = r))
  const a = store.transaction(async (tx) => {
    await tx.contracts.lockContracts(['urn:meshwatch-test:held'])
    locked()
    await held
  })
  await Promise.race([isLocked, a])
  const stored = await ingestContracts({ store, now: () => new Date(NOW) }, [other], {
    domain: 'sales',
  })
  expect(stored.map((s) => s.duplicate)).toEqual([false])
  release()
  await a
})
