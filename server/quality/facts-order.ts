import type { ProductFacts } from './facts.ts'

const byId = <T extends { id: number }>(xs: readonly T[]): T[] =>
  [...xs].sort((a, b) => a.id - b.id)

/**
 * A product's facts with their set-like lists (outputs, upstream datasets, producers, DAGs) in id
 * order, whatever order the store read them in: SQLite reads some in rowid order, which depends
 * on the query and has no PostgreSQL counterpart, and a reason names the first output it finds.
 * So one store scores alike on either engine, after an ingest as on the timer.
 */
export function inIdOrder(f: ProductFacts): ProductFacts {
  return {
    ...f,
    upstream: byId(f.upstream),
    outputs: byId(f.outputs).map((o) => ({
      ...o,
      producers: byId(o.producers),
      dags: byId(o.dags),
    })),
  }
}
