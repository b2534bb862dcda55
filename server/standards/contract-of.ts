import type { ContractRow } from '../../db/schema.ts'
import type { Store } from '../../db/store.ts'
import { bindContractOn } from '../contracts/bind-store.ts'
import { odcsOf } from '../contracts/view.ts'
import { generatedContractId } from './odcs.ts'

/** The contract an ODPS port names: a stored one bound to the product, else the one meshwatch generates. */
export interface ContractRef {
  id: string
  version: string
  stored: ContractRow | undefined
}

/** The current stored contract bound to each product (by `dataProduct`, else by its outputs). */
export async function storedContractsByProduct(store: Store): Promise<Map<string, ContractRow>> {
  const out = new Map<string, ContractRow>()
  for (const row of await store.contracts.currentContracts()) {
    const c = odcsOf(row)
    const product = c ? (await bindContractOn(store, c, row.domain)).product : null
    if (product && !out.has(product.id)) out.set(product.id, row)
  }
  return out
}

export function contractRefOf(stored: Map<string, ContractRow>, productId: string): ContractRef {
  const row = stored.get(productId)
  return row
    ? { id: row.contractId, version: row.version, stored: row }
    : { id: generatedContractId(productId), version: '1.0.0', stored: undefined }
}
