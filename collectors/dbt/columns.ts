import type { Column } from '../batch.ts'
import { isRecord } from './ownership.ts'
import type { CatalogTable, DbtNode } from './schema.ts'

const MAX_TEXT = 65536
const MAX_COLUMNS = 10000

/**
 * A node's declared columns, computed as it was read (keepDeclaredColumns, keepFlatColumns) and
 * kept in its `columns` member in place of the manifest's map: no JSON value is one of these.
 */
class Declared {
  readonly columns: Column[]
  constructor(columns: Column[]) {
    this.columns = columns
  }
}

/**
 * A node read entry by entry (readNode) gets its declared columns at once, and lets go of the
 * manifest's column objects: they die young instead of being copied to the old generation with
 * the node and kept there until the whole manifest is read (~150k in a 10k-model manifest).
 * declaredColumns(node) answers these (the same array each time).
 */
export function keepDeclaredColumns(node: DbtNode): void {
  if (node.columns === undefined || node.columns instanceof Declared) return
  node.columns = new Declared(declaredColumns(node))
}

/**
 * The columns a node declares in the manifest (name, description, data_type as type,
 * constraints), plus the model-level constraints (e.g. a composite primary_key) on each.
 * Read by hand rather than with zod: a 10k-model manifest holds ~200k columns, and a zod parse
 * of each (then a copy into our shape) made the collector slower than JSON.parse itself.
 * A column that is not an object with a string name is ignored.
 */
export function declaredColumns(node: DbtNode): Column[] {
  const raw = node.columns
  if (raw instanceof Declared) return raw.columns
  if (!isRecord(raw)) return []
  const keys = modelConstraints(node)
  const out: Column[] = []
  for (const value of Object.values(raw)) {
    if (!isRecord(value)) continue
    const col = columnOf(
      value['name'],
      value['description'],
      value['data_type'],
      value['constraints'],
      keys,
    )
    if (!col) continue
    out.push(col)
    if (out.length === MAX_COLUMNS) break
  }
  return out
}

/**
 * keepDeclaredColumns of a node whose columns the lean read took apart (trimNode): `flat` holds
 * name, description, data_type and constraints per column, as declaredColumns reads them.
 */
export function keepFlatColumns(node: DbtNode, flat: unknown[]): void {
  const keys = modelConstraints(node)
  const out: Column[] = []
  for (let i = 0; i + 3 < flat.length; i += 4) {
    const col = columnOf(flat[i], flat[i + 1], flat[i + 2], flat[i + 3], keys)
    if (!col) continue
    out.push(col)
    if (out.length === MAX_COLUMNS) break
  }
  node.columns = new Declared(out)
}

/** A declared column of these members; undefined for one without a name. */
function columnOf(
  name: unknown,
  description: unknown,
  dataType: unknown,
  constraints: unknown,
  keys: Map<string, string[]> | undefined,
): Column | undefined {
  if (typeof name !== 'string' || name === '') return undefined
  const col: Column = { name }
  if (typeof dataType === 'string' && dataType !== '') col.type = dataType.slice(0, 1024)
  if (typeof description === 'string' && description !== '') {
    col.description = description.slice(0, MAX_TEXT)
  }
  let types: string[] | undefined
  if (Array.isArray(constraints) && constraints.length) {
    for (const c of constraints) {
      if (isRecord(c) && typeof c['type'] === 'string') (types ??= []).push(c['type'])
    }
  }
  const key = keys?.get(name.toLowerCase())
  if (key) types = [...(types ?? []), ...key]
  if (types) col.constraints = types.slice(0, 64)
  return col
}

function modelConstraints(node: DbtNode): Map<string, string[]> | undefined {
  if (!node.constraints?.length) return undefined
  const keys = new Map<string, string[]>()
  for (const constraint of node.constraints) {
    for (const col of constraint.columns ?? []) {
      const k = col.toLowerCase()
      keys.set(k, [...(keys.get(k) ?? []), constraint.type])
    }
  }
  return keys
}

/** Columns from catalog.json (with warehouse types) when present, else as declared. */
export function toColumns(node: DbtNode, table: CatalogTable | undefined): Column[] {
  const declared = declaredColumns(node)
  if (!table) return declared
  // warehouses differ in case (Snowflake upper-cases): match catalog to yml names case-blind
  const byLower = new Map(declared.map((c) => [c.name.toLowerCase(), c]))
  return Object.values(table.columns)
    .filter((c) => c.name !== '')
    .sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
    .slice(0, MAX_COLUMNS)
    .map((c) => {
      const decl = byLower.get(c.name.toLowerCase())
      const col: Column = { ...decl, name: c.name }
      if (c.type) col.type = c.type.slice(0, 1024)
      if (!col.description && c.comment) col.description = c.comment.slice(0, MAX_TEXT)
      return col
    })
}
