import type { Odcs } from '../../collectors/contracts/schema.ts'
import type { Store } from '../../db/store.ts'
import { bindWith, type ContractBinding, type ContractLookups } from './bind.ts'

/**
 * bindContract on a Store (either engine): the binding is run over the answers read so far; each
 * lookup it makes that has no answer yet is read, and it is run again
 * until it asks nothing new (at most three rounds: datasets, products, the product of outputs).
 */
export async function bindContractOn(
  store: Store,
  contract: Odcs,
  domain: string | null,
): Promise<ContractBinding> {
  const answers = new Map<string, unknown>()
  for (;;) {
    const missing = new Map<string, () => Promise<unknown>>()
    const ask = <T>(key: string, read: () => Promise<T>): T | undefined => {
      if (answers.has(key)) return answers.get(key) as T | undefined
      missing.set(key, read)
      return undefined
    }
    const lookups: ContractLookups = {
      findContractDataset: ({ namespace, name }) =>
        ask(`d${JSON.stringify([namespace, name])}`, () =>
          store.contracts.findContractDataset(
            namespace === undefined ? { name } : { namespace, name },
          ),
        ),
      findContractProduct: (by) =>
        ask(`p${JSON.stringify(by)}`, () => store.contracts.findContractProduct(by)),
      productOfOutputs: (ids) =>
        ask(`o${JSON.stringify(ids)}`, () => store.contracts.productOfOutputs(ids)),
    }
    const binding = bindWith(lookups, contract, domain)
    if (missing.size === 0) return binding
    // one after another: inside a PostgreSQL transaction they share one client
    for (const [k, read] of missing) answers.set(k, await read())
  }
}
