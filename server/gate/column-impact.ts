import { refKey, type ColumnEdge } from '../../collectors/batch.ts'
import { breakingChanges, publicModelsOf } from './breaking.ts'
import type { Mesh } from './mesh.ts'
import type { GateCheck } from './types.ts'

export const COLUMN_LEVELS = ['strict', 'used-only'] as const
export type ColumnLevel = (typeof COLUMN_LEVELS)[number]

/** A column read downstream of a changed one, and through which kind of edge. */
type ColumnReader = {
  dataset: string
  column: string
  domain: string | undefined
  owner: string | undefined
  direct: boolean
}

const CHANGED = /^column (\S+) (?:removed|renamed|changed type)/
const colKey = (datasetKey: string, column: string) => `${datasetKey}\u0000${column.toLowerCase()}`

/**
 * Every column downstream of `column` of `datasetKey`, through any number of DIRECT hops (copied,
 * computed, aggregated from it), plus the columns of models whose joins, filters or groupings
 * read one of those (INDIRECT: the model reads it, the column is not computed from it).
 */
function columnReaders(
  edges: readonly ColumnEdge[],
  mesh: Mesh,
  datasetKey: string,
  column: string,
): ColumnReader[] {
  const from = new Map<string, ColumnEdge[]>()
  for (const e of edges) {
    const k = colKey(refKey(e.from), e.fromColumn)
    const list = from.get(k)
    if (list) list.push(e)
    else from.set(k, [e])
  }
  const out = new Map<string, ColumnReader>()
  const seen = new Set([colKey(datasetKey, column)])
  const todo = [colKey(datasetKey, column)]
  for (let k = todo.pop(); k !== undefined; k = todo.pop()) {
    for (const e of from.get(k) ?? []) {
      const direct = !e.transformation?.startsWith('INDIRECT')
      const key = colKey(refKey(e.dataset), e.column)
      const ds = mesh.datasets.get(refKey(e.dataset))
      const prev = out.get(key)
      if (!prev || (direct && !prev.direct)) {
        out.set(key, {
          dataset: e.dataset.name,
          column: e.column,
          domain: ds?.domain,
          owner: ds?.owner ?? (ds?.domain ? mesh.domainOwners.get(ds.domain) : undefined),
          direct,
        })
      }
      if (direct && !seen.has(key)) {
        seen.add(key)
        todo.push(key)
      }
    }
  }
  return [...out.values()].sort(
    (a, b) =>
      (a.domain ?? '').localeCompare(b.domain ?? '') ||
      a.dataset.localeCompare(b.dataset) ||
      a.column.localeCompare(b.column),
  )
}

/**
 * Adds column-level impact to the failing breaking-change checks: for each removed, renamed or
 * retyped column, exactly the downstream columns, models and exposures that read it (by domain and
 * owner), and the consumers that do not. With `used-only` (the default), a change of columns
 * nobody reads passes with a note; `strict` keeps it failing. `edges` are the mesh's column
 * edges after the change (the changed project's own downstream models as the change builds them).
 */
export function withColumnImpact(
  checks: GateCheck[],
  opts: {
    baseline: Mesh
    after: Mesh
    project: string
    edges: readonly ColumnEdge[]
    level: ColumnLevel
    notes: string[]
  },
): GateCheck[] {
  const models = new Map(publicModelsOf(opts.baseline, opts.project).map((d) => [d.name, d]))
  return checks.map((check) => {
    if (check.category !== 'breaking-change' || check.status !== 'fail') return check
    const before = models.get(check.targets[0] ?? '')
    if (!before) return check
    const seen = opts.after.datasets.get(before.key)
    const changes = breakingChanges(before, seen?.project === opts.project ? seen : undefined)
    const columns = changes.map((c) => CHANGED.exec(c)?.[1])
    if (!columns.length) return check
    const readers = new Map<string, ColumnReader[]>()
    for (const column of columns) {
      if (column) readers.set(column, columnReaders(opts.edges, opts.after, before.key, column))
    }
    const readModels = new Set([...readers.values()].flat().map((r) => r.dataset))
    const exposures = [...opts.after.products.values()].filter(
      (p) => p.origin === 'dbt_exposure' && p.outputs.some((o) => readModels.has(o.name)),
    )
    const details = [...check.details]
    for (const [column, list] of readers) {
      if (!list.length) details.push(`column ${column}: read by no downstream column`)
      for (const r of list) {
        details.push(
          `column ${column}: read by ${r.domain ?? '(no domain)'}: ${r.dataset}.${r.column}${r.direct ? '' : ' (join/filter/grouping)'}${r.owner ? `, owner ${r.owner}` : ''}`,
        )
      }
    }
    for (const p of exposures) {
      details.push(
        `exposure reading a changed column: ${p.domain}: ${p.name}${p.owner ? `, owner ${p.owner}` : ''}`,
      )
    }
    const lastOf = (n: string) => n.split('.').at(-1)
    const readerNames = new Set([...readModels].map(lastOf))
    const traced = new Set(opts.edges.map((e) => lastOf(e.dataset.name)))
    // a consumer model without column lineage (SQL not parsed) may read it
    let unknown = false
    for (const c of check.consumers ?? []) {
      const uses =
        c.kind === 'exposure'
          ? exposures.some((p) => p.name === c.name)
          : readerNames.has(lastOf(c.name))
      if (uses) continue
      if (c.kind === 'exposure') {
        // dbt exposures declare no columns: listed, but they do not make the change used
        details.push(`exposure of the model (declares no columns): ${c.domain}: ${c.name}`)
      } else if (!traced.has(lastOf(c.name))) {
        unknown = true
        details.push(
          `consumer with no column lineage, may read it: ${c.domain}: ${c.kind} ${c.name}`,
        )
      } else
        details.push(`consumer not using the changed columns: ${c.domain}: ${c.kind} ${c.name}`)
    }
    const onlyColumns = columns.every(Boolean)
    const used = readModels.size > 0 || unknown
    if (opts.level === 'used-only' && onlyColumns && !used) {
      opts.notes.push(
        `${before.name}: ${changes.join('; ')}: no downstream column reads it, so it is not a regression (gate.column_level: used-only)`,
      )
      return {
        ...check,
        status: 'pass' as const,
        message: `breaking change to public model ${before.name} that no consumer reads: ${changes.join('; ')}`,
        details,
      }
    }
    return { ...check, details }
  })
}
