import type { Db } from '../../db/client.ts'
import type { ContractRow } from '../../db/schema.ts'
import type { ContractFacts, ProductFacts } from '../quality/facts.ts'
import { call, runOnDb, type StoreProgram } from '../store-program.ts'
import { bindContractProgram, type ContractBinding } from './bind.ts'
import { odcsOf } from './view.ts'

/** attachContractsProgram for code still on the SQLite Db (the ratchet of #16), synchronously. */
export function attachContracts(db: Db, products: ProductFacts[]): void {
  runOnDb(db, attachContractsProgram(products))
}

/**
 * Gives each product its current ODCS contracts (bound as GET /api/contracts binds them) with
 * what is observed of their datasets and the product's alert episodes, so evaluateProduct scores
 * them. Products without a contract are left as they are. A store program (server/store-program.ts).
 */
export function* attachContractsProgram(products: ProductFacts[]): StoreProgram<void> {
  if (products.length === 0) return
  const rows = yield* call('contracts', 'currentContracts')
  if (rows.length === 0) return
  const byId = new Map(products.map((p) => [p.id, p]))
  const bound: { productId: string; row: ContractRow; binding: ContractBinding }[] = []
  for (const row of rows) {
    const c = odcsOf(row)
    if (!c) continue
    const binding = yield* bindContractProgram(c, row.domain)
    if (binding.product && byId.has(binding.product.id))
      bound.push({ productId: binding.product.id, row, binding })
  }
  if (bound.length === 0) return
  const datasetIds = [
    ...new Set(
      bound.flatMap((b) => b.binding.objects.flatMap((o) => (o.dataset ? [o.dataset.id] : []))),
    ),
  ]
  const columns = yield* call('contractFacts', 'newestColumns', datasetIds)
  const results = yield* call('contractFacts', 'latestResultsWithFailures', datasetIds)
  const columnMetrics = yield* call('contractFacts', 'latestColumnMetrics', datasetIds)
  const episodes = yield* call('contractFacts', 'recentEpisodes', [
    ...new Set(bound.map((b) => b.productId)),
  ])
  for (const { productId, row, binding } of bound) {
    const p = byId.get(productId)
    if (!p) continue
    const facts: ContractFacts = {
      contractId: row.contractId,
      version: row.version,
      status: row.status,
      contentHash: row.contentHash,
      sourceFile: row.sourceFile,
      document: row.document,
      objects: binding.objects.map((o) => {
        const id = o.dataset?.id ?? null
        const cols = id === null ? undefined : columns.get(id)
        return {
          object: o.object,
          datasetId: id,
          datasetName: o.dataset?.name ?? null,
          reason: o.reason,
          columns: cols?.columns ?? null,
          columnsObservedAt: cols?.observedAt ?? null,
          assertions: id === null ? [] : (results.get(id) ?? []),
          columnMetrics: id === null ? [] : (columnMetrics.get(id) ?? []),
        }
      }),
      episodes: episodes.get(productId) ?? [],
    }
    p.contracts = [...(p.contracts ?? []), facts]
  }
}
