import type { Column, Ref } from '../../batch.ts'
import type { DbtNode } from '../schema.ts'

/** A table or view a model can read: its dataset and, when known, its columns. */
export type Relation = {
  /** the normalized name the SQL reads it by */
  name: string
  ref: Ref
  columns: Column[] | undefined
}

/** `"db"."schema"."t"`, `` `p`.`d`.`t` ``, `[db].[t]` → `db.schema.t`, case-blind. */
export function normalizeRelation(name: string): string {
  return name.replace(/["`[\]]/g, '').toLowerCase()
}

/** The relation a node is built into, as its compiled SQL names it. */
export function relationNameOf(node: DbtNode): string | undefined {
  if (node.relation_name) return node.relation_name
  const table = node.alias ?? node.identifier ?? node.name
  const parts = [node.database, node.schema, table].filter((p): p is string => !!p)
  return parts.length ? parts.join('.') : undefined
}

/** Relations by their normalized name, and by dataset name too (the two differ on some adapters). */
export class RelationIndex {
  readonly #byName = new Map<string, Relation>()

  add(names: (string | undefined)[], relation: Relation): void {
    for (const n of names) if (n) this.#byName.set(normalizeRelation(n), relation)
  }

  get(name: string): Relation | undefined {
    return this.#byName.get(normalizeRelation(name))
  }
}
