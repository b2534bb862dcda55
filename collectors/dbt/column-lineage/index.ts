import { createHash } from 'node:crypto'
import { Dialect } from './sdk.ts'
import { refKey, type Batch, type Column, type ColumnEdgeSource } from '../../batch.ts'
import type { DatasetNode, Graph } from '../graph.ts'
import { declaredColumns } from '../columns.ts'
import type { DbtNode } from '../schema.ts'
import { dialectOf } from './dialect.ts'
import { lineageOfSql, type SqlLineage, type SqlLineageOptions } from './lineage.ts'
import { LineagePool, poolSize, type PoolTask, type WireRelation } from './pool.ts'
import { normalizeRelation, RelationIndex, relationNameOf, type Relation } from './relations.ts'
import { renderRawSql } from './render.ts'

const SQL_KINDS = new Set(['model', 'snapshot'])
const REF_TYPES = new Set(['model', 'seed', 'snapshot'])

// bumped whenever the derivation changes, so a re-collect does not keep edges of an older one
const DERIVATION = 'meshwatch-column-lineage/3'

export type ColumnLineageStats = {
  models: number
  parsed: number
  kept: number
  edges: number
  /** worker threads that computed it (0: in-process) */
  workers: number
}

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
  /**
   * Worker threads to compute with (0: in-process). Default: none for a small project, else
   * one per core (pool.ts poolSize).
   */
  workers?: number
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
  const stats: ColumnLineageStats = { models: 0, parsed: 0, kept: 0, edges: 0, workers: 0 }
  const dialect = dialectOf(adapter) ?? Dialect.Generic
  const columnsOf = new Map(batch.datasets.map((d) => [refKey(d), d.columns]))
  const relations = new RelationIndex()
  const byUniqueId = new Map<string, Relation>()
  const wire: WireRelation[] = []
  const relationId = new Map<Relation, number>()
  for (const ds of graph.datasets.values()) {
    const columns = columnsOf.get(refKey(ds.ref))
    const name = normalizeRelation(relationNameOf(ds.node) ?? ds.ref.name)
    const relation: Relation = { name, ref: ds.ref, columns: columns?.length ? columns : undefined }
    const names = [relationNameOf(ds.node), ds.ref.name].filter((n): n is string => !!n)
    relations.add(names, relation)
    byUniqueId.set(ds.node.unique_id, relation)
    relationId.set(relation, wire.length)
    wire.push({ ...relation, names })
  }
  let warnedDialect = false
  let refs: Map<string, DbtNode[]> | undefined
  const refsOf = () => (refs ??= refIndex(graph))
  // what each model of the project, in topological order, adds to the batch (at the end, in
  // that order, whether its lineage was computed here or by a worker)
  const outcomes: { warnings: string[]; slot?: Slot }[] = []
  const slots: Slot[] = []
  for (const ds of topological(graph)) {
    const sql = sqlOf(ds, graph, refsOf)
    if (!sql) continue
    stats.models++
    const warnings: string[] = []
    if (!dialectOf(adapter) && !warnedDialect) {
      warnedDialect = true
      warnings.push(
        `column lineage: adapter ${adapter ?? '(none)'} has no known SQL dialect; parsed as generic SQL`,
      )
    }
    if ('reason' in sql) {
      warnings.push(
        `column lineage: ${ds.node.unique_id} skipped: its raw SQL (no compiled SQL in the manifest) has ${sql.reason}`,
      )
      outcomes.push({ warnings })
      continue
    }
    const slot: Slot = {
      ds,
      sql,
      own: byUniqueId.get(ds.node.unique_id),
      upstream: upstreamOf(graph, ds.node, byUniqueId),
      hash: '',
      kept: undefined,
      result: undefined,
      declared: undefined,
    }
    // yml columns that are only declared (no catalog entry, no enforced contract) may be a
    // part of what the SQL outputs: the model's computed columns stand for it downstream
    if (slot.own?.columns && declaredOnly(ds.node, slot.own.columns)) {
      slot.declared = slot.own.columns
      slot.own.columns = undefined
      wire[relationId.get(slot.own)!]!.columns = undefined
    }
    slots.push(slot)
    outcomes.push({ warnings, slot })
  }

  // A model whose lineage reads the columns computed for an earlier one (no catalog, none
  // declared: `select *` of it) waits for it; the columns an input has are part of the hash.
  const producer = new Map<Relation, number>()
  slots.forEach((s, i) => {
    if (s.own && !s.own.columns) producer.set(s.own, i)
  })
  const waiting = slots.map(() => 0)
  const dependents: number[][] = slots.map(() => [])
  slots.forEach((s, i) => {
    for (const r of s.upstream) {
      const p = producer.get(r)
      // a cycle (manifest order): an input later in the order is read as it is now, as serially
      if (p !== undefined && p < i) {
        waiting[i]!++
        dependents[p]!.push(i)
      }
    }
  })
  const ready: number[] = []
  slots.forEach((_, i) => {
    if (!waiting[i]) ready.push(i)
  })
  // columns computed here, in the order they were, for the workers (each has read a prefix)
  const updates: [number, Column[]][] = []
  const finish = (i: number) => {
    for (const d of dependents[i]!) if (--waiting[d]! === 0) ready.push(d)
  }
  const setColumns = (s: Slot, columns: string[]) => {
    if (!s.own || s.own.columns) return
    s.own.columns = columns.map((name) => ({ name }))
    updates.push([relationId.get(s.own)!, s.own.columns])
  }
  /** The model's inputs are final: kept as stored (finished), or a task to compute. */
  const start = (i: number): PoolTask | undefined => {
    const s = slots[i]!
    s.hash = hashInputs(s.sql.sql, s.sql.source, dialect, engine, s.upstream)
    const before = known?.get(refKey(s.ds.ref))
    if (before?.hash === s.hash) {
      s.kept = before.columns
      setColumns(s, before.columns)
      finish(i)
      return undefined
    }
    return {
      k: i,
      sql: s.sql.sql,
      output: s.ds.ref,
      upstream: s.upstream.map((r) => relationId.get(r)!),
    }
  }
  const computed = (i: number, result: SqlLineage) => {
    const s = slots[i]!
    s.result = result
    if ('error' in result) {
      // unparsed: its declared columns are all that is known of it
      if (s.declared)
        setColumns(
          s,
          s.declared.map((c) => c.name),
        )
    } else if (result.unresolved.length && s.declared) {
      // partial: the declared columns it could not compute exist too
      const have = new Set(result.columns.map((c) => c.toLowerCase()))
      const more = s.declared.map((c) => c.name).filter((c) => !have.has(c.toLowerCase()))
      setColumns(s, [...result.columns, ...more])
    } else setColumns(s, result.columns)
    finish(i)
  }
  const here = (t: PoolTask) =>
    computed(
      t.k,
      lineageOfSql(t.sql, {
        dialect,
        output: t.output,
        upstream: slots[t.k]!.upstream,
        resolve: (name) => relations.get(name),
        engine,
        perColumn,
      }),
    )

  // Start what is ready here first: a re-collect keeps most models as stored, and a pool is
  // opened only for the models left to compute (each worker loads the parser: ~0.5 s, ~150 MB).
  const tasks: PoolTask[] = []
  const fill = (want: number) => {
    while (tasks.length < want && ready.length) {
      const task = start(ready.shift()!)
      if (task) tasks.push(task)
    }
  }
  let pool: LineagePool | undefined
  if (poolSize(slots.length, opts.workers)) {
    fill(Infinity)
    const left = slots.filter((x) => x.kept === undefined).length
    const size = poolSize(left, opts.workers)
    pool = size
      ? LineagePool.open(size, { dialect, engine, perColumn, relations: wire })
      : undefined
  }
  if (pool) {
    stats.workers = pool.size
    try {
      runPooled(pool, tasks, fill, computed, here, updates)
    } catch {
      // a worker failed: what it had is computed here (the parser's message, if it throws, is
      // then the model's warning as in a serial run)
    } finally {
      pool.close()
    }
  }
  // serially (or what the pool left), in topological order: every model after those it reads
  for (const [i, s] of slots.entries()) {
    if (s.result !== undefined || s.kept !== undefined) continue
    const task = start(i)
    if (task) here(task)
  }

  for (const { warnings, slot: s } of outcomes) {
    batch.warnings.push(...warnings)
    if (!s) continue
    const { ds } = s
    if (s.kept) {
      stats.kept++
      batch.columnLineageInputs.push({
        dataset: ds.ref,
        hash: s.hash,
        columns: s.kept,
        unchanged: true,
      })
      continue
    }
    const result = s.result!
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
    // a partial lineage is parsed again next time: the missing columns may be known by then
    if (!result.unresolved.length) {
      batch.columnLineageInputs.push({
        dataset: ds.ref,
        hash: s.hash,
        columns: result.columns,
        unchanged: false,
      })
    }
    // the result's own edges, not copies (221k of them on the bench): nothing else holds them
    for (const edge of result.edges) {
      edge.source = s.sql.source
      batch.columnEdges.push(edge)
      stats.edges++
    }
  }
  return stats
}

type Slot = {
  ds: DatasetNode
  sql: { sql: string; source: ColumnEdgeSource }
  own: Relation | undefined
  upstream: Relation[]
  hash: string
  /** the stored lineage stands (its columns) */
  kept: string[] | undefined
  result: SqlLineage | undefined
  /** its yml columns, set aside for those computed from its SQL (declaredOnly) */
  declared: Column[] | undefined
}

/**
 * Whether a model's columns are its yml declaration alone, which need not list every column
 * its SQL outputs: not catalog.json's (those differ from the declared ones, which the collect
 * takes only without a catalog entry) and not an enforced contract's (complete by definition).
 * A catalog entry of exactly the declared names is taken as a declaration too: the SQL then
 * computes those same columns.
 */
function declaredOnly(node: DbtNode, columns: Column[]): boolean {
  if ((node.contract?.enforced ?? node.config?.contract?.enforced) === true) return false
  const declared = declaredColumns(node)
  return (
    declared.length === columns.length &&
    declared.every((c, k) => c.name.toLowerCase() === columns[k]!.name.toLowerCase())
  )
}

// models per message to a worker, and messages a worker has at a time (one runs, one waits)
const CHUNK = 16
const IN_FLIGHT = 2

/**
 * Hands the models to compute to the workers in chunks, and computes some itself while every
 * worker has its fill (so on 2 cores one worker and this thread share the work, with one parser
 * loaded more, not two), until every model is computed or kept.
 */
function runPooled(
  pool: LineagePool,
  tasks: PoolTask[],
  fill: (want: number) => void,
  computed: (i: number, result: SqlLineage) => void,
  here: (task: PoolTask) => void,
  updates: [number, Column[]][],
): void {
  const flight = Array.from({ length: pool.size }, () => 0)
  const sent = Array.from({ length: pool.size }, () => 0)
  let busy = 0
  for (;;) {
    for (let w = 0; w < pool.size; w++) {
      if (flight[w]! >= IN_FLIGHT) continue
      fill(CHUNK)
      // a fair share of what is there, so every worker has some
      const share = Math.max(1, Math.min(CHUNK, Math.ceil(tasks.length / (pool.size + 1))))
      const chunk = tasks.splice(0, share)
      if (!chunk.length) continue
      pool.send(w, { updates: updates.slice(sent[w]), tasks: chunk })
      sent[w] = updates.length
      flight[w]!++
      busy++
    }
    fill(1)
    const mine = tasks.shift()
    if (mine) here(mine)
    else if (!busy) return
    const got = mine ? pool.poll() : pool.receive()
    if (!got) continue
    const { worker, reply } = got
    if ('fatal' in reply) throw new Error(reply.fatal)
    if (!('results' in reply)) continue
    flight[worker]!--
    busy--
    for (const [k, result] of reply.results) computed(k, result)
  }
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
