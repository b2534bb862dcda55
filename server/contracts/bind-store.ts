import type { Odcs } from '../../collectors/contracts/schema.ts'
import type { Store } from '../../db/store.ts'
import { runOn } from '../store-program.ts'
import { bindContractProgram, type ContractBinding } from './bind.ts'

/** bindContract on a Store (either engine), awaited. */
export const bindContractOn = (
  store: Store,
  contract: Odcs,
  domain: string | null,
): Promise<ContractBinding> => runOn(store, bindContractProgram(contract, domain))
