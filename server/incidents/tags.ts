import { z } from 'zod'
import { candidatesOf } from '../../collectors/contracts/naming.ts'
import type { Odcs } from '../../collectors/contracts/schema.ts'
import { own } from '../../collectors/own.ts'
import type { Store } from '../../db/store.ts'
import type { MeshwatchConfig } from '../config-file.ts'
import { odcsOf } from '../contracts/view.ts'

// ODCS v3 `tags`: a list of strings at the top of the contract (odcs-json-schema-v3.1.0.json).
const ContractTagsSchema = z.object({ tags: z.array(z.string()).optional() })

/**
 * The product a contract is bound to, as server/contracts/bind.ts binds it (its `dataProduct`, by
 * id, domain-qualified id or name, else the product whose outputs its tables are), on the Store.
 */
async function contractProductOf(
  store: Store,
  c: Odcs,
  domain: string | null,
): Promise<string | undefined> {
  const dp = c.dataProduct
  if (dp) {
    const p =
      (await store.contracts.findContractProduct({ id: dp })) ??
      (domain ? await store.contracts.findContractProduct({ id: `${domain}.${dp}` }) : undefined) ??
      (await store.contracts.findContractProduct({ name: dp, domain }))
    if (p) return p.id
  }
  const datasets: number[] = []
  for (const o of c.schema ?? [])
    for (const cand of candidatesOf(c, o)) {
      const ds = await store.contracts.findContractDataset(cand)
      if (!ds) continue
      datasets.push(ds.id)
      break
    }
  return store.contracts.productOfOutputs(datasets)
}

/**
 * The tags a route's `tags:` matches a product by: the product's own in meshwatch.yml
 * (`products.<id>.tags`), those of its output datasets (dbt tags, OpenLineage dataset tags), and
 * the top-level tags of the ODCS contracts bound to it.
 */
export async function productTagsOf(
  store: Store,
  cfg: MeshwatchConfig,
  productIds: readonly string[],
): Promise<Map<string, string[]>> {
  const ids = [...new Set(productIds)]
  const tags = new Map<string, Set<string>>(ids.map((id) => [id, new Set()]))
  const add = (id: string, list: readonly string[] | undefined) => {
    const s = tags.get(id)
    if (s) for (const t of list ?? []) s.add(t)
  }
  for (const id of ids) add(id, own(cfg.products, id)?.tags)
  for (const [id, list] of await store.incidents.outputTags(ids)) add(id, list)
  const contracts = ids.length > 0 ? await store.contracts.currentContracts() : []
  for (const row of contracts) {
    const listed = ContractTagsSchema.safeParse(row.document)
    if (!listed.success || !listed.data.tags?.length) continue
    const c = odcsOf(row)
    const product = c ? await contractProductOf(store, c, row.domain) : undefined
    if (product) add(product, listed.data.tags)
  }
  return new Map([...tags].map(([id, s]) => [id, [...s].sort()]))
}
