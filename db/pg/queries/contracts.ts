import type * as lite from '../../queries/contracts.ts'
import type { BoundDataset, StoredContract } from '../../queries/contracts.ts'
import type { ContractRow } from '../../schema.ts'
import type { PgModule } from '../module.ts'
import { columnsOf, insertRows, inTransaction } from '../rows.ts'
import { contracts as contractsTable } from '../schema.ts'

// Stored ODCS contracts on PostgreSQL. A delivery is one transaction: what is stored already is
// read in one statement, `check` runs before each item as on SQLite, and the new versions are
// inserted in one statement at the end (a concurrent replica's copy of one is skipped, not an error).

const CONTRACT = columnsOf(contractsTable)

export const contracts = {
  async storeContracts(q, items, opts) {
    return inTransaction(q, async (tx) => {
      const ids = [...new Set(items.map((c) => c.contractId))]
      const stored = await tx.query<{ contractId: string; contentHash: string; newest: string }>(
        `select contract_id as "contractId", content_hash as "contentHash",
                first_value(version) over (partition by contract_id order by id desc) as newest
           from contracts where contract_id = any($1::text[])`,
        [ids],
      )
      const known = new Set(stored.rows.map((r) => `${r.contractId}\u0000${r.contentHash}`))
      const newest = new Map(stored.rows.map((r) => [r.contractId, r.newest]))
      const fresh: (typeof items)[number][] = []
      const out = items.map((c, i): StoredContract => {
        opts.check?.(c, i)
        const base = { contractId: c.contractId, version: c.version, file: c.file }
        const key = `${c.contractId}\u0000${c.contentHash}`
        if (known.has(key)) return { ...base, duplicate: true, warnings: [] }
        const warnings: string[] = []
        if (newest.get(c.contractId) === c.version)
          warnings.push(
            `${c.file}: contract ${c.contractId} changed but its version is still ${c.version}; consumers cannot tell the two apart`,
          )
        known.add(key)
        newest.set(c.contractId, c.version)
        fresh.push(c)
        return { ...base, duplicate: false, warnings }
      })
      await insertRows(
        tx,
        contractsTable,
        fresh.map((c) => ({
          contractId: c.contractId,
          version: c.version,
          apiVersion: c.apiVersion,
          contentHash: c.contentHash,
          status: c.status,
          name: c.name,
          domain: c.domain,
          dataProduct: c.dataProduct,
          document: c.document,
          sourceFile: c.file,
          receivedAt: opts.now,
        })),
        { skipConflicts: true, returning: 'id' },
      )
      return out
    })
  },

  async currentContracts(q, filter = {}) {
    const r = await q.query<ContractRow>(
      `select ${CONTRACT} from contracts
        where id in (select max(id) from contracts group by contract_id)
          and ($1::boolean or domain = $2)
        order by contract_id`,
      [filter.domain === undefined, filter.domain ?? null],
    )
    return r.rows
  },

  async contractVersions(q, contractId) {
    const r = await q.query<ContractRow>(
      `select ${CONTRACT} from contracts where contract_id = $1 order by id desc`,
      [contractId],
    )
    return r.rows
  },

  async lockContracts(q, contractIds) {
    // A transaction-scoped advisory lock per id, taken in one order (code units) by every
    // replica: a new id has no row to lock yet, and two first uploads of it must not both pass
    // the ownership check.
    await q.query(
      `select pg_advisory_xact_lock(hashtextextended('meshwatch:contract:' || s.id, 0))
         from (select distinct u.id collate "C" as id from unnest($1::text[]) as u(id) order by 1 offset 0) s`,
      [[...contractIds]],
    )
  },

  async contractOwner(q, contractId) {
    const r = await q.query<{ domain: string | null }>(
      'select domain from contracts where contract_id = $1 order by id desc limit 1',
      [contractId],
    )
    return r.rows[0] ? r.rows[0].domain : undefined
  },

  async findContractDataset(q, ref) {
    if (ref.namespace !== undefined) {
      const r = await q.query<BoundDataset>(
        `(select d.id, d.namespace, d.name, d.domain from dataset_aliases a
            join datasets d on d.id = a.dataset_id where a.namespace = $1 and a.name = $2)
         union all
         (select id, namespace, name, domain from datasets where namespace = $1 and name = $2)
         limit 1`,
        [ref.namespace, ref.name],
      )
      return r.rows[0]
    }
    // SQLite's LIKE has no escape character: neither has this one (escape '')
    const r = await q.query<BoundDataset>(
      `select id, namespace, name, domain from datasets
        where lower(name) = lower($1) or lower(name) like '%.' || lower($1) escape ''
        order by length(name), id limit 1`,
      [ref.name],
    )
    return r.rows[0]
  },

  async findContractProduct(q, by) {
    const r =
      'id' in by
        ? await q.query<{ id: string; domain: string }>(
            'select id, domain from products where id = $1',
            [by.id],
          )
        : await q.query<{ id: string; domain: string }>(
            `select id, domain from products where name = $1 and ($2::text is null or domain = $2)
              order by id limit 1`,
            [by.name, by.domain],
          )
    return r.rows[0]
  },

  /** SQLite's LIKE ignores ASCII case, so the exposure test is ILIKE here (ASCII-only under "C"). */
  async productOfOutputs(q, datasetIds) {
    if (datasetIds.length === 0) return undefined
    const r = await q.query<{ id: string }>(
      `select p.id from product_outputs o join products p on p.id = o.product_id
        where o.dataset_id = any($1::int8[])
        group by p.id order by count(*) desc, (p.id ilike '%.exposure.%'), p.id limit 1`,
      [datasetIds],
    )
    return r.rows[0]?.id
  },
} satisfies PgModule<typeof lite>
