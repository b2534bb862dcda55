import { ALL_COLUMNS, type ColumnEdge, type Ref } from '../../batch.ts'

// The stronger use first: an input column a model reads several ways keeps one edge (the store's
// key has no transformation), the same whichever engine found the uses and in whatever order.
const RANK = [
  'DIRECT/IDENTITY',
  'DIRECT/TRANSFORMATION',
  'DIRECT/AGGREGATION',
  'INDIRECT/JOIN',
  'INDIRECT/GROUP_BY',
  'INDIRECT/FILTER',
  'INDIRECT/WINDOW',
  'INDIRECT/SORT',
]
const rank = (t: string) => {
  const k = RANK.indexOf(t)
  return k < 0 ? RANK.length : k
}

/**
 * The column edges of one model: the first DIRECT edge of a pair stands; INDIRECT ones by rank.
 * The uses that shape every output column (joins, filters, groupings: `use`) are one
 * dataset-wide edge each (column `*`, batch.ts ALL_COLUMNS), or with `perColumn` one edge per
 * output column (what the store had before; tests compare the two). An output column with no
 * DIRECT input gets its uses as edges of its own, so that every output column has an edge and
 * readers know the columns a dataset-wide edge stands for.
 */
export class EdgeSet {
  private readonly list: ColumnEdge[] = []
  private readonly at = new Map<string, number>()
  private readonly fed = new Set<string>()
  private readonly uses: { from: Ref; fromColumn: string; transformation: string }[] = []
  private readonly output: Ref
  private readonly perColumn: boolean
  constructor(output: Ref, perColumn = false) {
    this.output = output
    this.perColumn = perColumn
  }

  add(column: string, from: Ref, fromColumn: string, transformation: string): void {
    const key = `${column}\u0000${from.name}\u0000${fromColumn}`
    const k = this.at.get(key)
    const indirect = (t: string | undefined) => t?.startsWith('INDIRECT') ?? false
    if (!indirect(transformation)) this.fed.add(column)
    if (k === undefined) {
      this.at.set(key, this.list.length)
      this.list.push({ dataset: this.output, column, from, fromColumn, transformation })
      return
    }
    const prev = this.list[k]!
    if (indirect(prev.transformation) && indirect(transformation)) {
      if (rank(transformation) < rank(prev.transformation ?? ''))
        prev.transformation = transformation
    }
  }

  /** An input that shapes every output column (a join, filter, group-by, window or sort). */
  use(from: Ref, fromColumn: string, transformation: string): void {
    this.uses.push({ from, fromColumn, transformation })
  }

  /** The edges, once every DIRECT one and every use is in; `columns`: the output columns. */
  edges(columns: readonly string[]): ColumnEdge[] {
    const uses = this.uses.splice(0)
    if (this.perColumn) {
      for (const u of uses)
        for (const c of columns) this.add(c, u.from, u.fromColumn, u.transformation)
      return this.list
    }
    for (const u of uses) this.add(ALL_COLUMNS, u.from, u.fromColumn, u.transformation)
    const unfed = columns.filter((c) => !this.fed.has(c))
    for (const u of uses) for (const c of unfed) this.add(c, u.from, u.fromColumn, u.transformation)
    return this.list
  }
}
