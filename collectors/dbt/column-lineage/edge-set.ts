import type { ColumnEdge, Ref } from '../../batch.ts'

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

/** The column edges of one model: the first DIRECT edge of a pair stands; INDIRECT ones by rank. */
export class EdgeSet {
  readonly edges: ColumnEdge[] = []
  private readonly at = new Map<string, number>()
  private readonly output: Ref
  constructor(output: Ref) {
    this.output = output
  }

  add(column: string, from: Ref, fromColumn: string, transformation: string): void {
    const key = `${column}\u0000${from.name}\u0000${fromColumn}`
    const k = this.at.get(key)
    if (k === undefined) {
      this.at.set(key, this.edges.length)
      this.edges.push({ dataset: this.output, column, from, fromColumn, transformation })
      return
    }
    const prev = this.edges[k]!
    const indirect = (t: string | undefined) => t?.startsWith('INDIRECT') ?? false
    if (indirect(prev.transformation) && indirect(transformation)) {
      if (rank(transformation) < rank(prev.transformation ?? ''))
        prev.transformation = transformation
    }
  }
}
