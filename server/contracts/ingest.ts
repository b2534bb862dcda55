import { z } from 'zod'
import { ContractError, parseContractText } from '../../collectors/contracts/read.ts'
import type { ContractDoc } from '../../collectors/contracts/schema.ts'
import type { Db } from '../../db/client.ts'
import { ForeignWriteError } from '../../db/queries/authorize.ts'
import {
  contractOwner,
  findContractProduct,
  storeContracts,
  type StoredContract,
} from '../../db/queries/contracts.ts'
import { nowOf, type Deps, sqliteDb } from '../deps.ts'
import { bindContract } from './bind.ts'

/** What is not on PostgreSQL yet (#16 ratchet): this code still takes the SQLite Db. */
const NOT_MOVED = 'data contracts (server/contracts/)'

/** What `collect contracts --server` posts: each contract file's name and text, parsed by the server. */
export const ContractUploadSchema = z.object({
  contracts: z
    .array(z.object({ file: z.string().min(1).max(4096), text: z.string().max(8 * 1024 * 1024) }))
    .min(1)
    .max(5000),
})
export type ContractUpload = z.infer<typeof ContractUploadSchema>

/** Parses every uploaded file (all issues together) before anything is stored. */
export function parseUpload(upload: ContractUpload): ContractDoc[] {
  const docs: ContractDoc[] = []
  const issues: ContractError['issues'] = []
  for (const f of upload.contracts) {
    try {
      docs.push(parseContractText(f.text, f.file))
    } catch (e) {
      if (e instanceof ContractError) issues.push(...e.issues)
      else throw e
    }
  }
  if (issues.length > 0) throw new ContractError(issues)
  return docs
}

/**
 * Stores contracts whole (one transaction), then re-scores the products of the datasets a new
 * version binds (deps.afterWrite, as an ingest does). A contract is a write to its domain: a domain-scoped
 * writer (`domain`) may store only its own domain's contracts and may not take over another
 * domain's contract id, product or datasets (ForeignWriteError, nothing stored). Redelivery is a no-op.
 */
export function ingestContracts(
  deps: Deps,
  docs: ContractDoc[],
  opts: { domain?: string | null } = {},
): StoredContract[] {
  const writer = opts.domain ?? null
  const stored = storeContracts(
    sqliteDb(deps, NOT_MOVED),
    docs.map((d) => ({
      file: d.file,
      contractId: d.contract.id,
      version: d.contract.version,
      apiVersion: d.contract.apiVersion,
      status: d.contract.status,
      name: d.contract.name ?? null,
      domain: d.contract.domain ?? writer,
      dataProduct: d.contract.dataProduct ?? null,
      contentHash: d.contentHash,
      document: d.document,
    })),
    {
      now: nowOf(deps).toISOString(),
      // Inside the store's transaction: no other write comes between this check and the insert.
      check:
        writer === null
          ? undefined
          : (_, i) => authorize(sqliteDb(deps, NOT_MOVED), docs[i], writer, i),
    },
  )
  // A new contract version changes what its product is scored against: re-score it now.
  const changed = docs.filter((_, i) => stored[i]?.duplicate === false)
  if (changed.length > 0)
    deps.afterWrite?.({ datasetIds: boundDatasets(sqliteDb(deps, NOT_MOVED), changed) })
  return stored
}

function boundDatasets(db: Db, docs: ContractDoc[]): number[] {
  const ids = new Set<number>()
  for (const d of docs)
    for (const o of bindContract(db, d.contract, d.contract.domain ?? null).objects)
      if (o.dataset) ids.add(o.dataset.id)
  return [...ids]
}

const may = (domain: string) => `this token may only write domain ${domain}`

function authorize(db: Db, d: ContractDoc | undefined, writer: string, index: number): void {
  if (!d) return
  const c = d.contract
  const deny = (what: 'domain' | 'product' | 'dataset', path: string, message: string): never => {
    throw new ForeignWriteError({ what, path, ref: c.id, message }, index)
  }
  if (c.domain !== undefined && c.domain !== writer)
    deny('domain', '$.domain', `contract ${c.id} is for domain ${c.domain}; ${may(writer)}`)
  const owner = contractOwner(db, c.id)
  if (typeof owner === 'string' && owner !== writer)
    deny('domain', '$.id', `contract ${c.id} belongs to domain ${owner}; ${may(writer)}`)
  const binding = bindContract(db, c, writer)
  if (binding.product?.via === 'dataProduct') {
    const p = findContractProduct(db, { id: binding.product.id })
    if (p && p.domain !== writer)
      deny(
        'product',
        '$.dataProduct',
        `product ${p.id} belongs to domain ${p.domain}; ${may(writer)}`,
      )
  }
  binding.objects.forEach((o, i) => {
    if (o.dataset?.domain != null && o.dataset.domain !== writer)
      deny(
        'dataset',
        `$.schema[${i}]`,
        `dataset ${o.dataset.namespace} ${o.dataset.name} belongs to domain ${o.dataset.domain}; ${may(writer)}`,
      )
  })
}
