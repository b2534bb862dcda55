import type { Batch, Ref } from '../../collectors/batch.ts'
import type { SchemaObservation } from './fold-batches.ts'
import { columnsHash } from './merge.ts'
import type { NodeCache } from './node-cache.ts'
import type { Statements } from './statements.ts'

export function schemasOf(batch: Batch): SchemaObservation[] {
  const out: SchemaObservation[] = []
  for (const d of batch.datasets) {
    if (d.columns && d.columns.length > 0)
      out.push({ dataset: d, columns: d.columns, observedAt: batch.producedAt })
  }
  return out
}

/** A new version whenever a dataset's columns (names and types) differ from its latest. */
export function storeVersions(
  s: Statements,
  schemas: readonly SchemaObservation[],
  dsId: (r: Ref) => number,
  now: string,
  cache: NodeCache | undefined,
): void {
  const latest = new Map<number, { columns: Columns; hash: string }>()
  const rows: Record<string, unknown>[] = []
  // An empty table (a new store) has no latest version to look up for any dataset.
  const stored = schemas.length > 0 && s.anyVersion.get({}) !== undefined
  for (const o of schemas) {
    const datasetId = dsId(o.dataset)
    // A folded batch repeats a schema once per event, a stream once per run: compare the columns
    // with the last ones seen before serializing and hashing them.
    const known = latest.get(datasetId) ?? cache?.versions.get(datasetId)
    if (known && sameColumns(known.columns, o.columns)) continue
    const text = versionText(o.columns)
    const hash = columnsHash(text)
    const prev =
      known?.hash ??
      (stored ? (s.latestVersion.get({ datasetId }) as string | undefined) : undefined)
    const seen = { columns: o.columns, hash }
    latest.set(datasetId, seen)
    cache?.versions.set(datasetId, seen)
    if (prev === hash) continue
    rows.push({ datasetId, hash, columns: text, observedAt: o.observedAt ?? now })
  }
  // after the loop: the latest-version lookups above read only versions stored before this batch
  s.insertVersions.all(rows)
}

type Columns = readonly { name: string; type?: string | undefined }[]

/**
 * JSON.stringify of the columns' names and types (`[{"name":…,"type":…}]`, no type when it has
 * none), written piece by piece: no object per column only to be stringified (~150k of them in a
 * 10k-model collect).
 */
function versionText(columns: Columns): string {
  let text = '['
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i]!
    text += `${i === 0 ? '' : ','}{"name":${JSON.stringify(c.name)}`
    text += c.type === undefined ? '}' : `,"type":${JSON.stringify(c.type)}}`
  }
  return `${text}]`
}

/** Same names and types in the same order: the same schema version. */
function sameColumns(a: Columns, b: Columns): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    const y = b[i]
    if (x?.name !== y?.name || x?.type !== y?.type) return false
  }
  return true
}
