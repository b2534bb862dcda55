import { z } from 'zod'
import { own } from '../../collectors/own.ts'
import type { Store } from '../../db/store.ts'
import type { MeshwatchConfig } from '../config-file.ts'
import { bindContractOn } from '../contracts/bind.ts'
import { odcsOf } from '../contracts/view.ts'

// ODCS v3 `tags`: a list of strings at the top of the contract (odcs-json-schema-v3.1.0.json).
const ContractTagsSchema = z.object({ tags: z.array(z.string()).optional() })

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
    // bound as the contracts page binds it: its `dataProduct`, else the product of its tables
    const product = c ? (await bindContractOn(store, c, row.domain)).product?.id : undefined
    if (product) add(product, listed.data.tags)
  }
  return new Map([...tags].map(([id, s]) => [id, [...s].sort()]))
}
