import { desc, eq, sql } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { contracts, type ContractRow } from '../schema.ts'

// Stored ODCS contracts (server/contracts/ parses, binds and authorizes them) and the lookups
// binding needs. db/ knows no ODCS: a contract arrives here as its identity and its document.

export interface ContractToStore {
  file: string
  contractId: string
  version: string
  apiVersion: string
  status: string
  name: string | null
  domain: string | null
  dataProduct: string | null
  contentHash: string
  document: Record<string, unknown>
}

export interface StoredContract {
  contractId: string
  version: string
  file: string
  duplicate: boolean
  warnings: string[]
}

/**
 * Stores contracts in one transaction: all or none. `check` runs inside it before each insert
 * (authorization: it throws to refuse, and nothing is stored). Redelivering a stored content is a no-op.
 */
export function storeContracts(
  db: Db,
  items: ContractToStore[],
  opts: { now: string; check?: (item: ContractToStore, index: number) => void },
): StoredContract[] {
  const { known, newest, insert } = writes(db)
  const run = db.$client.transaction(() =>
    items.map((c, i) => {
      opts.check?.(c, i)
      const out = { contractId: c.contractId, version: c.version, file: c.file }
      if (known.get(c.contractId, c.contentHash) !== undefined)
        return { ...out, duplicate: true, warnings: [] }
      const warnings: string[] = []
      if (newest.get(c.contractId) === c.version)
        warnings.push(
          `${c.file}: contract ${c.contractId} changed but its version is still ${c.version}; consumers cannot tell the two apart`,
        )
      insert.run(
        c.contractId,
        c.version,
        c.apiVersion,
        c.contentHash,
        c.status,
        c.name,
        c.domain,
        c.dataProduct,
        JSON.stringify(c.document),
        c.file,
        opts.now,
      )
      return { ...out, duplicate: false, warnings }
    }),
  )
  return run.immediate()
}

const preparedWrites = new WeakMap<Db, ReturnType<typeof prepareWrites>>()

// Prepared once per database: 1,000 contracts are 2,000 lookups and 1,000 inserts in one transaction.
function prepareWrites(db: Db) {
  const c = db.$client
  return {
    known: c.prepare('select 1 from contracts where contract_id = ? and content_hash = ?').pluck(),
    newest: c
      .prepare('select version from contracts where contract_id = ? order by id desc limit 1')
      .pluck(),
    insert: c.prepare(
      `insert into contracts (contract_id, version, api_version, content_hash, status, name, domain,
         data_product, document, source_file, received_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
  }
}

const writes = (db: Db) => {
  let w = preparedWrites.get(db)
  if (!w) preparedWrites.set(db, (w = prepareWrites(db)))
  return w
}

/** The current (newest) version of every contract, optionally of one domain. */
export function currentContracts(db: Db, filter: { domain?: string } = {}): ContractRow[] {
  const newest = sql`${contracts.id} in (select max(id) from contracts group by contract_id)`
  return db
    .select()
    .from(contracts)
    .where(
      filter.domain === undefined
        ? newest
        : sql`${newest} and ${contracts.domain} = ${filter.domain}`,
    )
    .orderBy(contracts.contractId)
    .all()
}

/** Every stored version of one contract, newest first. */
export function contractVersions(db: Db, contractId: string): ContractRow[] {
  return db
    .select()
    .from(contracts)
    .where(eq(contracts.contractId, contractId))
    .orderBy(desc(contracts.id))
    .all()
}

/**
 * Holds the contract ids until the write transaction ends, so no other writer stores a version of
 * one meanwhile (a domain token's ownership check reads them first). SQLite: a write transaction
 * (BEGIN IMMEDIATE) already excludes every other writer, so there is nothing more to take.
 */
export function lockContracts(_db: Db, _contractIds: readonly string[]): void {}

/** The domain of a stored contract id (its newest version's); undefined when unknown. */
export function contractOwner(db: Db, contractId: string): string | null | undefined {
  const row = db.$client
    .prepare('select domain from contracts where contract_id = ? order by id desc limit 1')
    .get(contractId) as { domain: string | null } | undefined
  return row ? row.domain : undefined
}

/** A stored dataset a contract's schema object binds to. */
export interface BoundDataset {
  id: number
  namespace: string
  name: string
  domain: string | null
}

const prepared = new WeakMap<Db, ReturnType<typeof prepare>>()

function prepare(db: Db) {
  const c = db.$client
  return {
    exact: c.prepare(
      `select d.id, d.namespace, d.name, d.domain from dataset_aliases a join datasets d on d.id = a.dataset_id
         where a.namespace = ? and a.name = ?
       union all
       select id, namespace, name, domain from datasets where namespace = ? and name = ?
       limit 1`,
    ),
    byName: c.prepare(
      `select id, namespace, name, domain from datasets
         where lower(name) = lower(?) or lower(name) like '%.' || lower(?) order by length(name), id limit 1`,
    ),
    product: c.prepare('select id, domain from products where id = ?'),
    productByName: c.prepare(
      'select id, domain from products where name = ? and (? is null or domain = ?) order by id limit 1',
    ),
  }
}

const lookups = (db: Db) => {
  let p = prepared.get(db)
  if (!p) prepared.set(db, (p = prepare(db)))
  return p
}

/**
 * The dataset `namespace`+`name` resolves to (an alias first, as ingest resolves it); without a
 * namespace, the dataset named `name` or ending in `.name` in any namespace.
 */
export function findContractDataset(
  db: Db,
  ref: { namespace?: string | undefined; name: string },
): BoundDataset | undefined {
  const l = lookups(db)
  if (ref.namespace !== undefined)
    return l.exact.get(ref.namespace, ref.name, ref.namespace, ref.name) as BoundDataset | undefined
  return l.byName.get(ref.name, ref.name) as BoundDataset | undefined
}

/** A product by id, or by name within a domain. */
export function findContractProduct(
  db: Db,
  by: { id: string } | { name: string; domain: string | null },
): { id: string; domain: string } | undefined {
  const l = lookups(db)
  return (
    'id' in by ? l.product.get(by.id) : l.productByName.get(by.name, by.domain, by.domain)
  ) as { id: string; domain: string } | undefined
}

/** The product with most of these datasets as outputs (a declared product before an exposure). */
export function productOfOutputs(db: Db, datasetIds: number[]): string | undefined {
  if (datasetIds.length === 0) return undefined
  const row = db.$client
    .prepare(
      `select p.id from product_outputs o join products p on p.id = o.product_id
       where o.dataset_id in (${datasetIds.map(() => '?').join(',')})
       group by p.id order by count(*) desc, (p.id like '%.exposure.%'), p.id limit 1`,
    )
    .pluck()
    .get(...datasetIds)
  return typeof row === 'string' ? row : undefined
}
