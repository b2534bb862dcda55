import { BatchSchema, refKey, type Batch } from '../collectors/batch.ts'
import { encodeBatch } from '../db/queries/batch-codec.ts'
import type { Db } from '../db/client.ts'
import { storeBatch as storeBatchOnDb, type StoreResult } from '../db/queries/store-batch.ts'
import { nowOf, type Deps } from './deps.ts'
import { describeIssues } from './errors.ts'

export type IngestResult = StoreResult & { kind: Batch['kind']; scope: string }

export class InvalidBatchError extends Error {
  override name = 'InvalidBatchError'
  readonly path: string
  constructor(message: string, path: string) {
    super(message)
    this.path = path
  }
}

/** Validates an untrusted batch (e.g. POSTed by a remote collector); throws InvalidBatchError naming the field. */
export function parseBatch(raw: unknown): Batch {
  const parsed = BatchSchema.safeParse(raw)
  if (!parsed.success) {
    const { path, message } = describeIssues(parsed.error)
    throw new InvalidBatchError(`invalid batch: ${message}`, path)
  }
  return parsed.data
}

/**
 * The redelivery key. Column edges meshwatch derived from a model's SQL are a function of its
 * lineage inputs (their hash), so they stand for them: a re-collect of the same artifacts, whose
 * unchanged models carry no edges, is the same delivery as the collect that computed them.
 */
export function hashBatch(batch: Batch, encoded?: { contentHash: string }): string {
  if (batch.columnLineageInputs.length === 0) return (encoded ?? encodeBatch(batch)).contentHash
  const computed = new Set(batch.columnLineageInputs.map((i) => refKey(i.dataset)))
  return encodeBatch({
    ...batch,
    columnEdges: batch.columnEdges.filter(
      (e) => e.source === 'openlineage' || !computed.has(refKey(e.dataset)),
    ),
    columnLineageInputs: batch.columnLineageInputs.map(({ unchanged: _, ...i }) => i),
  }).contentHash
}

/** The store options of one batch: its redelivery key, encoded payload, time and writer. */
function storeOptionsOf(deps: Deps, batch: Batch, domain: string | null | undefined) {
  const encoded = encodeBatch(batch)
  return {
    // a batch without computed column lineage is its own redelivery key: encoded once
    contentHash: hashBatch(batch, encoded),
    now: nowOf(deps).toISOString(),
    payload: encoded.payload,
    columnsJson: encoded.columnsJson,
    domain: domain ?? null,
  }
}

/**
 * Stores one validated batch whole (or not at all), then runs deps.afterWrite (the evaluators),
 * in one store transaction: the batch and what afterWrite stores commit together. Redelivery is
 * a no-op. `domain`: a domain-scoped writer's; the batch is authorized inside that transaction,
 * and one writing another domain's rows throws ForeignWriteError, having written nothing.
 */
export async function ingestBatch(
  deps: Deps,
  batch: Batch,
  opts: { domain?: string | null } = {},
): Promise<IngestResult> {
  const options = storeOptionsOf(deps, batch, opts.domain)
  return deps.store.transaction(async (tx) => {
    const result = await tx.storeBatch.storeBatch(batch, options)
    const out = { ...result, kind: batch.kind, scope: batch.scope }
    if (!result.duplicate) await deps.afterWrite?.(out, tx)
    return out
  })
}

/**
 * The ratchet (#16): ingestBatch for sync code still on the SQLite Db (the gate's scratch store,
 * server/gate/store.ts); it runs no afterWrite. New code awaits ingestBatch.
 */
export function ingestBatchOnDb(db: Db, deps: Deps, batch: Batch): IngestResult {
  const result = storeBatchOnDb(db, batch, storeOptionsOf(deps, batch, null))
  return { ...result, kind: batch.kind, scope: batch.scope }
}

/**
 * Stores several batches and runs deps.afterWrite once for all they touched, in one transaction:
 * the batches, the evaluations and the alerts they enqueue are stored together, or (on any error)
 * none of them (collect --db: several dbt projects are one graph, scored once it is whole).
 */
export async function ingestBatches(
  deps: Deps,
  batches: readonly Batch[],
): Promise<IngestResult[]> {
  const { afterWrite, ...storeOnly } = deps
  return deps.store.transaction(async (tx) => {
    const results: IngestResult[] = []
    for (const b of batches) results.push(await ingestBatch({ ...storeOnly, store: tx }, b))
    const datasetIds = [...new Set(results.flatMap((r) => r.datasetIds))]
    if (results.some((r) => !r.duplicate)) await afterWrite?.({ datasetIds }, tx)
    return results
  })
}
