import type { Odcs } from '../../collectors/contracts/schema.ts'
import type { Store } from '../../db/store.ts'
import { runOn } from '../store-program.ts'
import { bindContractProgram, type ContractBinding } from './bind.ts'

/**
 * bindContract on a Store (either engine): bindContractProgram with each lookup awaited, one after
 * another (inside a PostgreSQL transaction they share one client).
 */
export function bindContractOn(
  store: Store,
  contract: Odcs,
  domain: string | null,
): Promise<ContractBinding> {
  return runOn(store, bindContractProgram(contract, domain))
}
