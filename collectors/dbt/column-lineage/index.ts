import { createHash } from 'node:crypto'
import { Dialect } from '@polyglot-sql/sdk'
import { refKey, type Batch, type ColumnEdge, type ColumnEdgeSource } from '../../batch.ts'
import type { DatasetNode, Graph } from '../graph.ts'
import type { DbtNode } from '../schema.ts'
import { dialectOf } from './dialect.ts'
import { lineageOfSql, type SqlLineageOptions } from './lineage.ts'
import { normalizeRelation, RelationIndex, relationNameOf, type Relation } from './relations.ts'
import { renderRawSql } from './render.ts'

const SQL_KINDS = new Set(['model', 'snapshot'])
const REF_TYPES = new Set(['model', 'seed', 'snapshot'])

// bumped whenever the derivation changes, so a re-collect does not keep edges of an older one
const DERIVATION = 'meshwatch-column-lineage/2'

export type ColumnLineageStats = { models: number; parsed: number; kept: number; edges: number }

/** A model's lineage inputs as the store last saw them, by refKey of its dataset. */
export type KnownColumnLineage = ReadonlyMap<string, { hash: string; columns: string[] }>

export type ColumnLineageOptions = {
  engine?: SqlLineageOptions['engine']
  /**
   * What the store computed before: a model whose SQL, dialect and upstream columns hash the
   * same is not parsed again (its stored edges stand, marked `unchanged` in the batch).
   */
  known?: KnownColumnLineage
  /** tests: the uses of joins, filters and groupings once per output column (see EdgeSet) */
  perColumn?: boolean
}

/**
 * Derives column edges from the SQL of every model and snapshot of the project: compiled SQL
 * when the manifest has it, else raw SQL whose Jinja is only ref/source/this/config/var/
 * is_incremental. `select *` is expanded with the catalog / declared columns of upstream tables,
 * or with the columns computed for an upstream model. A model that cannot be parsed keeps its
 * table lineage and gets a warning naming the model, the dialect and the parser's message.
 */
export function addColumnLineage(
  batch: Batch,
  graph: Graph,
  adapter: string | null | undefined,
  opts: ColumnLineageOptions = {},
): ColumnLineageStats {
  const { engine = 'walk', known, perColumn } = opts
  const stats: ColumnLineageStats = { models: 0, parsed: 0, kept: 0, edges: 0 }
  const dialect = dialectOf(adapter) ?? Dialect.Generic
  const columnsOf = new Map(batch.datasets.map((d) => [refKey(d), d.columns]))
  const relations = new RelationIndex()
  const byUniqueId = new Map<string, Relation>()
  for (const ds of graph.datasets.values()) {
    const columns = columnsOf.get(refKey(ds.ref))
    const name = normalizeRelation(relationNameOf(ds.node) ?? ds.ref.name)
    const relation: Relation = { name, ref: ds.ref, columns: columns?.length ? columns : undefined }
    relations.add([relationNameOf(ds.node), ds.ref.name], relation)
    byUniqueId.set(ds.node.unique_id, relation)
  }
  let warnedDialect = false
  let refs: Map<string, DbtNode[]> | undefined
  const refsOf = () => (refs ??= refIndex(graph))
  for (const ds of topological(graph)) {
    const sql = sqlOf(ds, graph, refsOf)
    if (!sql) continue
    stats.models++
    if (!dialectOf(adapter) && !warnedDialect) {
      warnedDialect = true
      batch.warnings.push(
        `column lineage: adapter ${adapter ?? '(none)'} has no known SQL dialect; parsed as generic SQL`,
      )
    }
    if ('reason' in sql) {
      batch.warnings.push(
        `column lineage: ${ds.node.unique_id} skipped: its raw SQL (no compiled SQL in the manifest) has ${sql.reason}`,
      )
      continue
    }
    const upstream = upstreamOf(graph, ds.node, byUniqueId)
    const own = byUniqueId.get(ds.node.unique_id)
    const hash = hashInputs(sql.sql, sql.source, dialect, engine, upstream)
    const before = known?.get(refKey(ds.ref))
    if (before?.hash === hash) {
      stats.kept++
      if (own && !own.columns) own.columns = before.columns.map((name) => ({ name }))
      batch.columnLineageInputs.push({
        dataset: ds.ref,
        hash,
        columns: before.columns,
        unchanged: true,
      })
      continue
    }
    const result = lineageOfSql(sql.sql, {
      dialect,
      output: ds.ref,
      upstream,
      resolve: (name) => relations.get(name),
      engine,
      perColumn,
    })
    if ('error' in result) {
      batch.warnings.push(
        `column lineage: ${ds.node.unique_id} (${dialect}) could not be parsed: ${result.error}`,
      )
      continue
    }
    stats.parsed++
    for (const message of result.unresolved) {
      batch.warnings.push(
        `column lineage: ${ds.node.unique_id} (${dialect}) is partial: ${message}`,
      )
    }
    if (own && !own.columns) own.columns = result.columns.map((name) => ({ name }))
    // a partial lineage is parsed again next time: the missing columns may be known by then
    if (!result.unresolved.length) {
      batch.columnLineageInputs.push({
        dataset: ds.ref,
        hash,
        columns: result.columns,
        unchanged: false,
      })
    }
    for (const edge of result.edges) {
      const e: ColumnEdge = { ...edge, source: sql.source }
      batch.columnEdges.push(e)
      stats.edges++
    }
  }
  return stats
}

type Sql = { sql: string; source: ColumnEdgeSource } | { reason: string }

/** What a model's column lineage is computed from: its SQL, and the columns of what it reads. */
function hashInputs(
  sql: string,
  source: ColumnEdgeSource,
  dialect: string,
  engine: string,
  upstream: Relation[],
): string {
  const h = createHash('sha256').update(
    `${DERIVATION}\u0000${engine}\u0000${dialect}\u0000${source}\u0000`,
  )
  h.update(sql)
  for (const r of upstream) {
    h.update(`\u0000${r.name}\u0000${r.ref.namespace}\u0000${r.ref.name}`)
    for (const c of r.columns ?? []) h.update(`\u0001${c.name}`)
  }
  return h.digest('base64url')
}

function sqlOf(ds: DatasetNode, graph: Graph, refs: () => Map<string, DbtNode[]>): Sql | undefined {
  const { node } = ds
  if (ds.foreign || !SQL_KINDS.has(ds.kind)) return undefined
  const compiled = node.compiled_code ?? node.compiled_sql
  if (compiled) return { sql: compiled, source: 'dbt_compiled' }
  const raw = node.raw_code ?? node.raw_sql
  if (!raw) return undefined
  const rendered = renderRawSql(raw, {
    self: relationNameOf(node),
    ref: (name, pkg, version) => {
      // dbt resolves an unversioned ref to the latest version: the highest one here
      const found = (refs().get(name) ?? [])
        .filter((n) => !pkg || n.package_name === pkg)
        .filter((n) => version === undefined || String(n.version) === version)
        .sort((a, b) => Number(b.version ?? 0) - Number(a.version ?? 0))[0]
      return found && relationNameOf(found)
    },
    source: (sourceName, table) => {
      for (const n of graph.nodes.values()) {
        if (n.resource_type === 'source' && n.source_name === sourceName && n.name === table)
          return relationNameOf(n)
      }
      return undefined
    },
  })
  return 'reason' in rendered ? rendered : { sql: rendered.sql, source: 'dbt_uncompiled' }
}

function refIndex(graph: Graph): Map<string, DbtNode[]> {
  const out = new Map<string, DbtNode[]>()
  for (const n of graph.nodes.values()) {
    if (!REF_TYPES.has(n.resource_type)) continue
    const list = out.get(n.name)
    if (list) list.push(n)
    else out.set(n.name, [n])
  }
  return out
}

/** Models and snapshots, every one after the nodes it reads (a cycle: in manifest order). */
function topological(graph: Graph): DatasetNode[] {
  const out: DatasetNode[] = []
  const seen = new Set<string>()
  for (const root of graph.datasets.keys()) {
    if (seen.has(root)) continue
    seen.add(root)
    // iterative depth-first: a 10k-model chain would overflow the call stack
    const stack: { id: string; deps: string[]; next: number }[] = [
      { id: root, deps: depsOf(graph, root), next: 0 },
    ]
    while (stack.length) {
      const top = stack[stack.length - 1]!
      const dep = top.deps[top.next++]
      if (dep !== undefined) {
        if (!seen.has(dep)) {
          seen.add(dep)
          stack.push({ id: dep, deps: depsOf(graph, dep), next: 0 })
        }
        continue
      }
      stack.pop()
      const ds = graph.datasets.get(top.id)
      if (ds && SQL_KINDS.has(ds.kind)) out.push(ds)
    }
  }
  return out
}

const depsOf = (graph: Graph, id: string): string[] => graph.nodes.get(id)?.depends_on?.nodes ?? []

/** The tables a model reads, through the ephemeral models its compiled SQL inlines as CTEs. */
function upstreamOf(graph: Graph, node: DbtNode, relations: Map<string, Relation>): Relation[] {
  const out = new Set<Relation>()
  const seen = new Set<string>()
  const todo = [...(node.depends_on?.nodes ?? [])]
  for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
    if (seen.has(id)) continue
    seen.add(id)
    const relation = relations.get(id)
    if (relation) out.add(relation)
    else if (graph.nodes.get(id)?.config?.materialized === 'ephemeral') {
      todo.push(...(graph.nodes.get(id)?.depends_on?.nodes ?? []))
    }
  }
  return [...out]
}
