import { OdcsSchema, type Odcs } from '../../collectors/contracts/schema.ts'
import type { ContractBinding } from './bind.ts'
import { bindContractOn } from './bind-store.ts'
import type { Store } from '../../db/store.ts'
import type { ContractRow } from '../../db/schema.ts'

export interface ContractView {
  id: string
  version: string
  apiVersion: string
  status: string
  name: string | null
  domain: string | null
  dataProduct: string | null
  contentHash: string
  sourceFile: string | null
  receivedAt: string
  binding: ContractBinding
}

/** The typed fields of a stored contract (validated when it was stored). */
export function odcsOf(row: ContractRow): Odcs | undefined {
  const r = OdcsSchema.safeParse(row.document)
  return r.success ? r.data : undefined
}

/** A stored contract as the API shows it, bound to what the store observes now. */
export async function viewContract(store: Store, row: ContractRow): Promise<ContractView> {
  const c = odcsOf(row)
  const binding: ContractBinding = c
    ? await bindContractOn(store, c, row.domain)
    : {
        objects: [],
        team: { name: null, owners: [], members: [] },
        product: null,
        productReason: 'the stored document no longer parses',
        bound: false,
      }
  return {
    id: row.contractId,
    version: row.version,
    apiVersion: row.apiVersion,
    status: row.status,
    name: row.name,
    domain: row.domain,
    dataProduct: row.dataProduct,
    contentHash: row.contentHash,
    sourceFile: row.sourceFile,
    receivedAt: row.receivedAt,
    binding,
  }
}
