import { z } from 'zod'
import { ContractError, parseContractText } from '../../collectors/contracts/read.ts'
import type { ContractDoc } from '../../collectors/contracts/schema.ts'
import { ForeignWriteError } from '../../db/queries/authorize.ts'
import type { ContractToStore, StoredContract } from '../../db/queries/contracts.ts'
import type { Store } from '../../db/store.ts'
import { nowOf, type Deps } from '../deps.ts'
import { bindContractOn } from './bind.ts'

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

/** The stored form of parsed contracts; one without `domain` is the writer's (null: unowned). */
export const contractsToStore = (docs: readonly ContractDoc[], writer: string | null) =>
  docs.map((d): ContractToStore => ({
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
  }))

/**
 * Stores contracts whole (one transaction), then re-scores the products of the datasets a new
 * version binds (deps.afterWrite, as an ingest does). A contract is a write to its domain: a domain-scoped
 * writer (`domain`) may store only its own domain's contracts and may not take over another
 * domain's contract id, product or datasets (ForeignWriteError, nothing stored). Redelivery is a no-op.
 */
export async function ingestContracts(
  deps: Deps,
  docs: ContractDoc[],
  opts: { domain?: string | null } = {},
): Promise<StoredContract[]> {
  const writer = opts.domain ?? null
  const now = nowOf(deps).toISOString()
  const stored = await deps.store.transaction(async (tx) => {
    // Inside the write's transaction: a refused upload stores nothing, and no other replica
    // stores one of these contract ids between the check and the write.
    await tx.contracts.lockContracts(docs.map((d) => d.contract.id))
    if (writer !== null) for (const [i, d] of docs.entries()) await authorize(tx, d, writer, i)
    return tx.contracts.storeContracts(contractsToStore(docs, writer), { now })
  })
  // A new contract version changes what its product is scored against: re-score it now.
  const changed = docs.filter((_, i) => stored[i]?.duplicate === false)
  if (changed.length > 0)
    await deps.afterWrite?.({ datasetIds: await boundDatasets(deps.store, changed) })
  return stored
}

async function boundDatasets(store: Store, docs: ContractDoc[]): Promise<number[]> {
  const ids = new Set<number>()
  for (const d of docs)
    for (const o of (await bindContractOn(store, d.contract, d.contract.domain ?? null)).objects)
      if (o.dataset) ids.add(o.dataset.id)
  return [...ids]
}

const may = (domain: string) => `this token may only write domain ${domain}`

async function authorize(store: Store, d: ContractDoc, writer: string, index: number) {
  const c = d.contract
  const deny = (what: 'domain' | 'product' | 'dataset', path: string, message: string): never => {
    throw new ForeignWriteError({ what, path, ref: c.id, message }, index)
  }
  if (c.domain !== undefined && c.domain !== writer)
    deny('domain', '$.domain', `contract ${c.id} is for domain ${c.domain}; ${may(writer)}`)
  const owner = await store.contracts.contractOwner(c.id)
  if (typeof owner === 'string' && owner !== writer)
    deny('domain', '$.id', `contract ${c.id} belongs to domain ${owner}; ${may(writer)}`)
  const binding = await bindContractOn(store, c, writer)
  if (binding.product?.via === 'dataProduct') {
    const p = await store.contracts.findContractProduct({ id: binding.product.id })
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
